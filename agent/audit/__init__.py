"""Project audit: the persona's checklist and standards, evidenced from the project's own files.

Dependency manifests and ast-grep structural rules (data, one YAML file per ecosystem) turn
into done / missing / unknown per item, each with `path:line` evidence, plus risk findings.
Heavy imports (ast-grep, pathspec) happen inside the functions that need them, never at import.
"""
