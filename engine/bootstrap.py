"""The explicit wiring of the host: every procedure, the tables it owns and what it contributes.

Importing the engine changes no registry; `install()` (called by the app factory, the CLI, the benches and the
tests) puts the contributions listed here into the core registries — the allow-listed service-task operators
(HOST_FUNCTIONS), form hooks, task-page contexts, scheduled jobs, the domain rows integrity checks — and wires
the calls one procedure makes into another (engine/*/ports.py), so procedures never import each other.
Adding a procedure = its package engine/<name>/, its folder processes/<name>/ and one entry here
(tests/processes/test_shipped_layout.py holds the two to each other).
"""

from dataclasses import dataclass, field

from engine.admission import admit as admission_admit
from engine.admission import commitment as admission_commitment
from engine.admission import history as admission_history
from engine.admission import models as admission_models
from engine.admission import ports as admission_ports
from engine.admission import queries as admission_queries
from engine.admission import reviews as admission_reviews
from engine.admission import search_facts as admission_search
from engine.admission import services as admission_services
from engine.admission.status import ApplicationStatus
from engine.assignment import form_hooks as assignment_form_hooks
from engine.assignment import history as assignment_history
from engine.assignment import hostfuncs as assignment_hostfuncs
from engine.assignment import models as assignment_models
from engine.assignment import search_facts as assignment_search
from engine.assignment import services as assignment_services
from engine.assignment import usage as assignment_usage
from engine.assignment.status import RequestStatus
from engine.core import audit_archive, checkpoints, hooks, integrity, jobs, scripting
from engine.core import models as core_models
from engine.core.contributions import Contributions, DomainRow
from engine.deploy import models as deploy_models
from engine.evaluation import campaign as evaluation_campaign
from engine.evaluation import history as evaluation_history
from engine.evaluation import hostfuncs as evaluation_hostfuncs
from engine.evaluation import models as evaluation_models
from engine.evaluation import ports as evaluation_ports
from engine.evaluation import search_facts as evaluation_search
from engine.evaluation import services as evaluation_services
from engine.evaluation.status import EvaluationStatus
from engine.exit import history as exit_history
from engine.exit import hostfuncs as exit_hostfuncs
from engine.exit import models as exit_models
from engine.exit import search_facts as exit_search
from engine.exit import services as exit_services
from engine.exit.status import ExitCaseStatus
from engine.experts import models as experts_models
from engine.experts import ports as experts_ports
from engine.groups import hostfuncs as groups_hostfuncs
from engine.groups import models as groups_models
from engine.groups import nominations as groups_nominations
from engine.groups import search_facts as groups_search
from engine.groups.status import ChangeStatus
from engine.platform import models as platform_models
from engine.platform import notifications
from engine.renewal import history as renewal_history
from engine.renewal import hostfuncs as renewal_hostfuncs
from engine.renewal import models as renewal_models
from engine.renewal import queries as renewal_queries
from engine.renewal import search_facts as renewal_search
from engine.renewal import services as renewal_services
from engine.renewal.status import RenewalStatus
from engine.tasks import digest


@dataclass(frozen=True)
class Procedure:
    """One procedure of the Measures: its BPMN process keys (processes/<name>/), what it contributes, its rows."""

    name: str
    processes: tuple[str, ...]
    contributions: tuple[Contributions, ...] = ()
    domain_rows: tuple[DomainRow, ...] = field(default=())


PROCEDURES: tuple[Procedure, ...] = (
    Procedure("admission", ("admission_public", "admission_invited"),
              (admission_services.exports, admission_reviews.exports, admission_commitment.exports,
               admission_admit.exports, admission_queries.exports, admission_search.exports),
              (DomainRow(admission_models.Application, "申请", frozenset(
                  {ApplicationStatus.REJECTED, ApplicationStatus.LAPSED, ApplicationStatus.ADMITTED})),)),
    Procedure("assignment", ("assignment",),
              (assignment_hostfuncs.exports, assignment_form_hooks.exports, assignment_search.exports),
              (DomainRow(assignment_models.WorkRequest, "用人申请", frozenset(
                  {RequestStatus.REJECTED, RequestStatus.COMPLETED, RequestStatus.WITHDRAWN})),)),
    Procedure("evaluation", ("annual_evaluation",),
              (evaluation_hostfuncs.exports, evaluation_services.exports, evaluation_campaign.exports,
               evaluation_search.exports),
              (DomainRow(evaluation_models.Evaluation, "履职评价", frozenset({EvaluationStatus.FINALIZED})),)),
    Procedure("exit", ("exit",), (exit_hostfuncs.exports, exit_services.exports, exit_search.exports),
              (DomainRow(exit_models.ExitCase, "出库案件", frozenset(
                  {ExitCaseStatus.EXITED, ExitCaseStatus.DISMISSED, ExitCaseStatus.REJECTED})),)),
    Procedure("renewal", ("term_renewal",), (renewal_hostfuncs.exports, renewal_services.exports, renewal_search.exports),
              # not_renewing waits for the term to end, so it is not final
              (DomainRow(renewal_models.RenewalCase, "续聘", frozenset({RenewalStatus.RENEWED, RenewalStatus.LAPSED})),)),
    Procedure("groups", ("group_change",), (groups_hostfuncs.exports, groups_search.exports),
              (DomainRow(groups_models.GroupChange, "专家组调整", frozenset(
                  {ChangeStatus.EFFECTIVE, ChangeStatus.REJECTED, ChangeStatus.FAILED})),)),
)
PLATFORM: tuple[Contributions, ...] = (notifications.exports, checkpoints.exports, audit_archive.exports,
                                       digest.exports)

# Every module that declares tables (SQLAlchemy registers a model when its module is imported).
MODEL_MODULES = (core_models, platform_models, experts_models, deploy_models, admission_models, assignment_models,
                 evaluation_models, exit_models, renewal_models, groups_models)


def _install_contributions(contributions: Contributions) -> None:
    for registry, items in ((scripting.HOST_FUNCTIONS, contributions.host_functions),
                            (hooks.FORM_HOOKS, contributions.form_hooks),
                            (hooks.TASK_CONTEXT, contributions.task_contexts),
                            (jobs.JOBS, contributions.jobs),
                            (hooks.INSTANCE_VIEWERS, contributions.instance_viewers),
                            (hooks.SEALED_STEPS, contributions.sealed_steps),
                            (hooks.ROW_FACTS, contributions.row_facts),
                            (hooks.SEARCH_FACTS, contributions.search_facts)):
        for key, value in items.items():
            if registry.get(key, value) is not value:
                raise ValueError(f"{key} is contributed twice")
            registry[key] = value


def _wire_ports() -> None:
    # Every call one procedure makes into another, in one place (the caller declares the port).
    experts_ports.release_engagements.provide(assignment_services.release_expert)
    experts_ports.admission_exemptions.provide(admission_queries.admission_exemptions)
    evaluation_ports.usage_counts.provide(assignment_usage.counts_for)
    evaluation_ports.usage_records.provide(assignment_usage.usage_records)
    evaluation_ports.propose_exit.provide(exit_services.propose)
    evaluation_ports.first_term_starts.provide(renewal_queries.first_term_starts)
    admission_ports.propose_group_position.provide(groups_nominations.propose_position)
    experts_ports.expert_cases.provide(_expert_cases)
    experts_ports.expert_instances.provide(_expert_instances)


EXPERT_CASES = (admission_history.expert_cases, assignment_history.expert_cases, renewal_history.expert_cases,
                evaluation_history.expert_cases, exit_history.expert_cases)


def _expert_cases(session, expert_id: int) -> list:
    # The expert's history page reads every procedure's cases through one port (engine.experts.history).
    return [item for cases in EXPERT_CASES for item in cases(session, expert_id)]


EXPERT_INSTANCES = (evaluation_search.instances_about, renewal_search.instances_about, exit_search.instances_about)


def _expert_instances(session, expert_id: int) -> list[int]:
    # The instances whose inbox rows are found by the expert's record (engine.experts.selfservice refreshes them).
    return [i for about in EXPERT_INSTANCES for i in about(session, expert_id)]


def install() -> None:
    """Fill the core registries from PROCEDURES and PLATFORM and wire the ports (idempotent)."""
    for procedure in PROCEDURES:
        for contributions in procedure.contributions:
            _install_contributions(contributions)
        integrity.DOMAIN_ROWS.extend(row for row in procedure.domain_rows if row not in integrity.DOMAIN_ROWS)
    for contributions in PLATFORM:
        _install_contributions(contributions)
    _wire_ports()
