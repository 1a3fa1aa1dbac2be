"""Art 15(1) through the real flows: refusals judged unjustified in the assignment flow propose an exit review."""

from datetime import timedelta

from engine.exit import proposals
from engine.exit import services as exits
from engine.platform.attachments import Upload
from tests import assignment_support as assignment
from tests.exit.exit_support import cases_of, lone_expert, refuse_unjustified
from tests.experts.roster_support import open_tasks
from tests.support import T0

PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")


def test_three_refusals_judged_unjustified_propose_an_exit_review(session, users):
    expert = lone_expert(session, "林建华", "supervision_sampling")
    refused = refuse_unjustified(session, users, expert, 3)
    # what the assignment flow records: the decline judged unjustified ends the engagement as cancelled
    assert [(e.status, e.decline_justified) for e in refused] == [("cancelled", False)] * 3
    assert exits.proposal_scan_job(session, T0 + timedelta(days=3)) == {"proposed": 1, "skipped": False}
    (case,) = cases_of(session, expert.id)
    assert (case.source, case.trigger, case.trigger_key, case.ground) == ("system", "refusals", "refusals:2026",
                                                                          "art15_1")
    assert "无正当理由拒绝承接工作任务3次" in case.facts
    assert [t.bpmn_id for t in open_tasks(session, case.instance_id)] == ["exit_center_review"]


def test_refusals_judged_justified_or_below_the_threshold_propose_nothing(session, users):
    expert = lone_expert(session, "林建华", "supervision_sampling")
    refuse_unjustified(session, users, expert, 2)
    refuse_unjustified(session, users, expert, 1, now=T0 + timedelta(days=2), judgement=assignment.APPROVE_JUSTIFIED)
    assert exits.proposal_scan_job(session, T0 + timedelta(days=3))["proposed"] == 0
    assert cases_of(session, expert.id) == []


def test_refusals_of_an_expert_with_a_case_open_are_noted_on_it(session, users):
    expert = lone_expert(session, "林建华", "supervision_sampling")
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(expert.id), "ground": "art15_3",
                                                               "facts": "调离监管岗位"}, {"evidence": [PDF]}, T0)
    refuse_unjustified(session, users, expert, 3)
    assert exits.proposal_scan_job(session, T0 + timedelta(days=3))["proposed"] == 1
    assert [c.id for c in cases_of(session, expert.id)] == [case.id]  # one case at a time: noted on it
    (note,) = proposals.of_case(session, case.id)
    assert (note.trigger, note.trigger_key, note.followed_by) == ("refusals", "refusals:2026", None)
    assert exits.proposal_scan_job(session, T0 + timedelta(days=4))["proposed"] == 0  # noted once
