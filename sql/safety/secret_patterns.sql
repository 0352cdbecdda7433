{#-
  The credential shapes of the secret gate (SPEC 12.1), one row each. Extend the list to
  find more kinds; each entry is

      (kind, before, secret, after)

  before/after  context that must surround the secret but is not part of it (RE2 syntax;
                '' for none; \b is an ASCII word boundary, where _ counts as a word char)
  secret        the credential itself: what is reported and what --redact-secrets replaces

  A kind must be a fixed shape: "a long value assigned to a name containing KEY" is not one
  (it flags much of what coding agents write). Facts about the vendors' formats follow
  their documentation and widely used rule sets (gitleaks, detect-secrets).
-#}
{% set secret_patterns = [
    ('aws_access_key',  '\\b',              '(?:AKIA|ASIA)[0-9A-Z]{16}', '\\b'),
    ('github_token',    '',                 'gh[pousr]_[A-Za-z0-9]{36,}', ''),
    ('github_token',    '',                 'github_pat_[A-Za-z0-9_]{22,}', ''),
    ('api_key',         '^|[^A-Za-z0-9_-]', 'sk-[A-Za-z0-9_-]{20,}', ''),
    ('slack_token',     '',                 'xox[bpars]-[A-Za-z0-9-]{10,}', ''),
    ('google_api_key',  '',                 'AIza[0-9A-Za-z_-]{35}', ''),
    ('stripe_key',      '',                 '[sr]k_live_[0-9A-Za-z]{24,}', ''),
    ('private_key',     '',                 '-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)', ''),
    ('jwt',             '',                 'eyJ[A-Za-z0-9_-]{7,}\\.eyJ[A-Za-z0-9_-]{7,}\\.[A-Za-z0-9_-]{10,}', ''),
    ('url_credentials', '://[^\\s/@:]*:',   '[^\\s/@]+', '@'),
    ('gitlab_token',    '\\b',              'glpat-[0-9A-Za-z_-]{20,}', ''),
    ('npm_token',       '\\b',              'npm_[A-Za-z0-9]{36}', '\\b'),
    ('huggingface_token', '\\b',            'hf_[A-Za-z]{34}', '\\b'),
    ('pypi_token',      '',                 'pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}', ''),
] %}
{#- each pattern as one RE2 regex with three groups (before, secret, after), in list order -#}
{% set secret_regexes = [] %}
{% for kind, before, secret, after in secret_patterns %}
{% set _ = secret_regexes.append('(' ~ before ~ ')(' ~ secret ~ ')(' ~ after ~ ')') %}
{% endfor %}
-- The patterns as a relation, for reading them with SQL (`distill-duck compile secret_patterns`).
SELECT * FROM (VALUES
{%- for kind, before, secret, after in secret_patterns %}
    ({{ lit(kind) }}, {{ lit(before) }}, {{ lit(secret) }}, {{ lit(after) }}){{ ',' if not loop.last }}
{%- endfor %}
) AS p(kind, before, secret, after)
