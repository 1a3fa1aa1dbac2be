"""Demo data set: accounts for every role, public calls, a pool of experts, applications in flight.

`seed()` is reproducible (one `random.Random(rng_seed)`, never the global one) and idempotent. The pool is
inserted directly in bulk; applications go through the real admission services so the workflow state,
inbox and audit chain are consistent.
"""

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from demo.data import PersonFactory, admission_batches, demo_pdf, form_values
from engine.admission.models import PublicCall
from engine.admission.services import nominate, submit_public
from engine.core.clock import local_date
from engine.core.models import Counter, HumanTask
from engine.core.status import TaskState
from engine.experts.models import DishonestyEntry, Expert, ExpertGroup, GroupMembership
from engine.experts.reference import ROLES, ensure_reference_data
from engine.experts.roster import term_end
from engine.experts.status import ExpertStatus
from engine.platform.attachments import Upload
from engine.platform.models import Unit, User, UserRole
from engine.platform.passwords import hash_password
from engine.platform.settings import TERM_YEARS
from engine.tasks.services import complete
from rules.eligibility import RANK_LEVELS, TITLE_LEVELS

DEMO_PASSWORD = "demo1234"
# username, display name, roles, unit code
ACCOUNTS = (
    ("applicant", "张伟", ("applicant",), None),
    ("applicant2", "李娜", ("applicant",), None),
    ("expert1", "陈志明", ("applicant",), None),  # admitted through the real flow, which grants "expert"
    ("talent", "王芳", ("talent_center",), "prov_talent"),
    ("quality", "刘洋", ("quality_division",), "prov_quality"),
    ("leader", "黄建国", ("bureau_leader",), "prov_office"),
    ("fzunit", "林晓东", ("using_unit",), "fuzhou"),
    ("xmunit", "郑雅琴", ("using_unit",), "xiamen"),
    ("groupleader", "吴国华", ("group_leader", "expert"), None),
    ("owner", "周敏", ("process_owner",), "prov_quality"),
    ("auditor", "徐静", ("auditor",), "prov_office"),
    ("admin", "赵磊", ("admin",), "prov_office"),
)
ROLE_NAMES = {code: name for code, name, _ in ROLES}
ROLE_ORDER = {code: i for i, (code, _, _) in enumerate(ROLES)}


def seed(session, now: datetime, expert_count: int = 300, rng_seed: int = 20240705) -> list[tuple[str, str, str]]:
    """Load the demo data set once; returns (username, display name, role names) of the demo accounts."""
    usernames = [a[0] for a in ACCOUNTS]
    existing = set(session.scalars(select(User.username).where(User.username.in_(usernames))))
    if len(existing) < len(ACCOUNTS):
        ensure_reference_data(session)
        rng = random.Random(rng_seed)
        factory = PersonFactory(rng, local_date(now))
        users = _users(session, existing)
        _calls(session, users, now)
        _pool(session, rng, factory, users, expert_count, now)
        listed = _dishonesty(session, rng, factory)
        session.commit()
        _applications(session, factory, users, listed, now)
    return accounts(session)


def accounts(session) -> list[tuple[str, str, str]]:
    """The demo accounts as they are now (roles in the reference order, as Chinese names)."""
    rows = {u.username: u for u in session.scalars(select(User).where(User.username.in_([a[0] for a in ACCOUNTS])))}
    result = []
    for username, *_ in ACCOUNTS:
        user = rows.get(username)
        if user is not None:
            roles = sorted(user.roles, key=lambda r: ROLE_ORDER.get(r, 99))
            result.append((username, user.display_name, "，".join(ROLE_NAMES.get(r, r) for r in roles)))
    return result


def _users(session, existing: set[str]) -> dict[str, User]:
    password_hash = hash_password(DEMO_PASSWORD)  # scrypt is slow on purpose: hash once, reuse
    units = {u.code: u.id for u in session.scalars(select(Unit))}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(existing)))}
    for i, (username, name, roles, unit_code) in enumerate(ACCOUNTS):
        if username in users:
            continue
        user = User(username=username, password_hash=password_hash, display_name=name,
                    email=f"{username}@demo.fjamr.cn", phone=f"1380591{i:04d}", unit_id=units.get(unit_code))
        user.role_links = [UserRole(role_code=r) for r in roles]
        session.add(user)
        users[username] = user
    session.flush()
    return users


def _calls(session, users, now: datetime) -> None:
    year = local_date(now).year
    talent = users["talent"].id
    session.add_all([
        PublicCall(title=f"{year}年福建省产品质量安全监管专家征集公告",
                   description="根据《福建省产品质量安全监管专家库管理办法（试行）》第八条，面向社会公开征集产品质量安全"
                               "监管专家。申请人填写《推荐表》（附件1），附相关证明材料及所在单位、推荐单位意见。",
                   opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=60), created_by=talent,
                   created_at=now - timedelta(days=31)),
        PublicCall(title=f"{year - 1}年福建省产品质量安全监管专家征集公告",
                   description="上一年度公开征集，已截止。", opens_at=now - timedelta(days=420),
                   closes_at=now - timedelta(days=360), created_by=talent, created_at=now - timedelta(days=421)),
    ])


def _status(rng) -> ExpertStatus:
    roll = rng.random()
    return ExpertStatus.SUSPENDED if roll < 0.03 else ExpertStatus.EXITED if roll < 0.08 else ExpertStatus.ACTIVE


def _pool(session, rng, factory: PersonFactory, users, count: int, now: datetime) -> None:
    """~count experts in admission batches, numbered certificates, group leaders and deputies (Art 9)."""
    groups = {g.code: g.id for g in session.scalars(
        select(ExpertGroup).where(ExpertGroup.active).order_by(ExpertGroup.sort_order))}
    batches = admission_batches(rng, factory.today)
    people = [factory.person("inspection", name="吴国华", gender="male", birth_date=date(1971, 5, 12),
                             title="正高级工程师", title_level="senior", groups=["supervision_sampling", "risk_monitoring"])]
    people += [factory.person() for _ in range(max(0, count - 1))]
    experts = []
    for i, person in enumerate(people):
        ending_soon = rng.random() < 0.05 and i > 0
        doc_date, doc_no = batches[0] if ending_soon else rng.choice(batches[1:] or batches)
        fields = {k: v for k, v in person.items() if k != "groups"}
        expert = Expert(**fields, status=ExpertStatus.ACTIVE if not i else _status(rng), term_start=doc_date,
                        term_end=term_end(doc_date, TERM_YEARS), admission_doc_no=doc_no,
                        admission_route="invited" if rng.random() < 0.1 else "public",
                        created_at=now - timedelta(days=(factory.today - doc_date).days))
        expert.memberships = [GroupMembership(group_id=groups[g], position="member") for g in person["groups"]
                              if g in groups]
        experts.append(expert)
    experts[0].user_id = users["groupleader"].id
    _number_certificates(session, experts)
    _appoint(rng, experts, groups)
    session.add_all(experts)


def _number_certificates(session, experts: list[Expert]) -> None:
    """闽质安专聘〔year〕NNNN号 in admission order; the engine's counters continue after them."""
    counters = {c.name: c for c in session.scalars(select(Counter).where(Counter.name.like("certificate:%")))}
    for expert in sorted(experts, key=lambda e: (e.term_start, e.id_number)):
        name = f"certificate:{expert.term_start.year}"
        counter = counters.get(name)
        if counter is None:
            counter = counters[name] = Counter(name=name, value=0)
            session.add(counter)
        counter.value += 1
        expert.certificate_no = f"闽质安专聘〔{expert.term_start.year}〕{counter.value:04d}号"


def _seniority(expert: Expert) -> tuple:
    return (TITLE_LEVELS.index(expert.title_level), RANK_LEVELS.index(expert.rank_level), expert.field_years)


def _membership(expert: Expert, group_id: int) -> GroupMembership | None:
    return next((m for m in expert.memberships if m.group_id == group_id), None)


def _candidates(rng, experts: list[Expert], group_id: int, posted: set[int]) -> list[Expert]:
    """Active members of the group holding no post; a small pool recruits active experts into the group."""
    free = [e for e in experts if e.status == ExpertStatus.ACTIVE and id(e) not in posted]
    members = [e for e in free if _membership(e, group_id)]
    spare = [e for e in free if not _membership(e, group_id) and len(e.memberships) < 3]
    while len(members) < 4 and spare:
        recruit = spare.pop(rng.randrange(len(spare)))
        recruit.memberships.append(GroupMembership(group_id=group_id, position="member"))
        members.append(recruit)
    return sorted(members, key=_seniority, reverse=True)


def _appoint(rng, experts: list[Expert], groups: dict[str, int]) -> None:
    """Art 9: one leader and 2–3 deputies per group, each an active member holding no other post."""
    head = experts[0]  # the groupleader account leads 监督抽查组
    posted = {id(head)}
    for code, group_id in groups.items():
        ranked = _candidates(rng, experts, group_id, posted)
        if code == "supervision_sampling" and _membership(head, group_id):
            leader = head
        elif ranked:
            leader = ranked.pop(rng.randrange(min(3, len(ranked))))
        else:
            continue
        deputies = rng.sample(ranked[:8], min(len(ranked[:8]), rng.choice((2, 3))))
        for expert, position in [(leader, "leader")] + [(d, "deputy") for d in deputies]:
            _membership(expert, group_id).position = position
            posted.add(id(expert))


def _dishonesty(session, rng, factory: PersonFactory) -> dict:
    """A few people on dishonesty lists (Art 6(一)); returns one still listed, who will apply anyway."""
    sources = ("最高人民法院失信被执行人名单", "信用中国（福建）严重失信主体名单", "市场监管严重违法失信名单")
    rows, people = [], []
    for i in range(5):
        person = factory.person()
        people.append(person)
        listed = factory.today - timedelta(days=rng.randint(60, 900))
        rows.append(DishonestyEntry(id_number=person["id_number"], name=person["name"], source=sources[i % 3],
                                    listed_on=listed, removed_on=listed + timedelta(days=365) if i == 4 else None))
    session.add_all(rows)
    return people[0]


# --- applications through the real services --------------------------------------------------------------

INITIAL_PASS = {"decision": "pass", "checklist_ok": "on", "credit_checked": "on",
                "comment": "材料齐全，经核查符合第六条、第七条规定的条件，同意提交质量监督处审核。"}
DIVISION_PASS = {"decision": "pass", "propose_role": "none", "comment": "同意入库，报局领导批准。"}
LEADER_APPROVE = {"decision": "approve", "comment": "同意。"}


def _files(title: str) -> dict:
    return {"attachments": [Upload("证明材料及单位推荐意见.pdf", "application/pdf", demo_pdf(title))]}


def _open_task(session, app) -> HumanTask:
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == app.instance_id,
                                                   HumanTask.state == TaskState.OPEN)).one()


def _run(session, app, steps, now: datetime) -> None:
    """Complete the application's open task for each (actor, values, days ago) in turn."""
    for actor, raw, days_ago in steps:
        complete(session, _open_task(session, app).id, actor, raw, {}, now - timedelta(days=days_ago))


def _record(now: datetime, days_ago: int, number: int) -> dict:
    day = local_date(now - timedelta(days=days_ago + 1))
    return {"doc_no": f"闽市监函〔{day.year}〕{number}号", "doc_date": day.isoformat(), "comment": "已印发入库通知。"}


def _applications(session, factory: PersonFactory, users, listed: dict, now: datetime) -> None:
    """Applications waiting at every step of admission_public / admission_invited."""
    call_id = session.scalar(select(PublicCall.id).where(PublicCall.closes_at > now).order_by(PublicCall.id.desc()))
    talent, quality, leader = users["talent"], users["quality"], users["leader"]

    def submit(actor, days_ago: int, paper: bool = False, extra: dict | None = None, **overrides):
        person = factory.person(**overrides)
        raw = form_values(person, **(extra or {}))
        return submit_public(session, actor, raw, _files(f"Application {person['id_number'][-4:]}"),
                             now - timedelta(days=days_ago), call_id, paper=paper)

    first_three = [(talent, INITIAL_PASS, 0), (quality, DIVISION_PASS, 0), (leader, LEADER_APPROVE, 0)]

    def chain(*days: int):
        return [(actor, raw, d) for (actor, raw, _), d in zip(first_three, days, strict=False)]

    # 1. admitted through the whole flow: expert1 applies, signs, becomes an expert
    admitted = submit(users["expert1"], 28, name="陈志明", gender="male", category_code="university")
    _run(session, admitted, chain(26, 22, 17) + [(talent, _record(now, 10, 41), 10),
                                                (users["expert1"], {"agree": "on", "signature": "陈志明"}, 8)], now)
    # 2. waiting for the applicant to sign the 承诺书
    signing = submit(users["applicant2"], 26, name="李娜", gender="female")
    _run(session, signing, chain(23, 19, 14) + [(talent, _record(now, 5, 57), 5)], now)
    # 3. waiting for 登记发文
    _run(session, submit(talent, 25, paper=True), chain(22, 18, 12), now)
    # 4. two waiting for 局领导批准 (bulk approval)
    _run(session, submit(talent, 20, paper=True), chain(16, 10), now)
    _run(session, submit(talent, 18, paper=True), chain(15, 8), now)
    # 5. waiting for 质量监督处审核
    _run(session, submit(talent, 15, paper=True), chain(12), now)
    # 6. returned for correction, waiting on the applicant
    returned = submit(users["applicant"], 12, name="张伟", gender="male")
    _run(session, returned, [(talent, {"decision": "return", "credit_checked": "on",
                                       "comment": "请补充所在单位盖章意见及高级工程师职称证书扫描件。"}, 9)], now)
    # 7. rejected at 初审
    _run(session, submit(talent, 14, paper=True), [(talent, {
        "decision": "reject", "credit_checked": "on",
        "comment": "所附工作经历证明材料与推荐表填报内容不符，且无法补正，不予通过。"}, 11)], now)
    # 8. waiting for 初审: one plain, one over 60 claiming an age exemption (flagged for the reviewer)
    submit(talent, 3, paper=True)
    senior = factory.today.replace(year=factory.today.year - 62, day=min(factory.today.day, 28))
    submit(talent, 1, paper=True, birth_date=senior, category_code="university", title="教授", title_level="senior",
           extra={"age_exemptions": ["provincial_honour"],
                  "exemption_note": "2018年被省人民政府授予“福建省优秀专家”称号，身体健康，能够胜任工作。"})
    # 9. on a dishonesty list (Art 6(一)): the check refers it, with the reason, to 初审 (a person decides)
    submit(talent, 7, paper=True, **{k: listed[k] for k in ("name", "gender", "birth_date", "id_number")})
    # 10. directed invitation (Art 8(二)) in 质量监督处审核
    person = factory.person("university", groups=["risk_monitoring", "quality_assistance"])
    nominate(session, quality, form_values(person), _files("Nomination"), now - timedelta(days=6),
             reason=f"{person['name']}长期从事锂电池及电动自行车产品安全风险研究，主持省级科研项目多项，"
                    "风险监控组工作急需，拟定向邀请入库。")
