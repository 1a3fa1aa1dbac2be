"""Status and ground labels the evaluation, exit, renewal and self-service pages share (Chinese)."""

from engine.evaluation.models import CAMPAIGN_STATUSES, EVALUATION_STATUSES
from engine.exit.models import EXIT_CASE_STATUSES, EXIT_SOURCES
from engine.experts.models import DECLARATION_KINDS, ENGAGEMENT_STATUSES
from engine.renewal.models import RENEWAL_STATUSES
from rules.evaluation import RATINGS, rating_label
from rules.exit import GROUNDS, TRIGGERS, ground_label

LABELS = {"campaign_statuses": CAMPAIGN_STATUSES, "evaluation_statuses": EVALUATION_STATUSES, "ratings": RATINGS,
          "exit_statuses": EXIT_CASE_STATUSES, "exit_sources": EXIT_SOURCES, "renewal_statuses": RENEWAL_STATUSES,
          "triggers": TRIGGERS, "grounds": GROUNDS, "declaration_kinds": DECLARATION_KINDS,
          "engagement_statuses": ENGAGEMENT_STATUSES, "ground_label": ground_label, "rating_label": rating_label}
