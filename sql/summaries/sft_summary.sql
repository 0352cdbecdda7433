-- The SFT run summary (SPEC section 11).
{% from 'macros/summary.sql' import summary %}
{{ summary('sft', 'sft_decisions') }}
