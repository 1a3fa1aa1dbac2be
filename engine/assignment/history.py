"""The expert's requests and draw exclusions for their history page (engine.experts.history, expert_cases port)."""

from sqlalchemy import select

from engine.assignment import exclusions
from engine.assignment.models import METHODS, WorkRequest
from engine.experts.history import HistoryItem
from engine.experts.models import Engagement


def expert_cases(session, expert_id: int) -> list[HistoryItem]:
    """The requests the expert was drawn or designated for, and every round that excluded them (Art 11, 13)."""
    requests = session.scalars(select(WorkRequest).where(WorkRequest.id.in_(
        select(Engagement.request_id).where(Engagement.expert_id == expert_id))).order_by(WorkRequest.id))
    items = [HistoryItem("抽取与回避", r.created_at, f"工作任务 #{r.id}：{r.title}",
                         f"{METHODS.get(r.method, r.method)}；{r.start_date} 至 {r.end_date}，{r.place}", r.instance_id,
                         own_steps_only=True)
             for r in requests]
    rounds = exclusions.of_expert(session, expert_id)
    by_id = {r.id: r for r in session.scalars(select(WorkRequest).where(
        WorkRequest.id.in_({request_id for request_id, _, _ in rounds})))} if rounds else {}
    items += [HistoryItem("抽取与回避", (r := by_id[request_id]).created_at,
                          f"未列入候选：工作任务 #{r.id}：{r.title}（第 {round_no} 轮）",
                          f"{x.reason}（{x.article}）", r.instance_id, own_steps_only=True, exclusion=True)
              for request_id, round_no, x in rounds]
    return items
