"""The phases' documents: PRD assessment, ADRs, OpenAPI contract, user stories, plan.

Import the pieces from their modules (`deliver`, `context`, `extract`, ...): this package's
import stays empty so nothing loads before a delivery is asked for.
"""
