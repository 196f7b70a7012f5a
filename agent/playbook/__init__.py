"""The offline playbook: knowledge cards (Markdown with frontmatter) and their retrieval.

Imported lazily, at the first answer: the first frame never pays for reading the cards.
"""
