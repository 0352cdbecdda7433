"""distill_duck: logged LLM-agent runs in, clean training data out, SQL in between."""

__version__ = "0.1.0"
