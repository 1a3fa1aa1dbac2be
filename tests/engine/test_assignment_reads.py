"""The draw's random source comes in on the HostContext (no context variable): the host function that
draws reads it there; production passes none and gets os.urandom."""

from sqlalchemy import select

from engine.assignment import services
from engine.models.assignment import DrawRecordRow
from engine.scripting import HOST_FUNCTIONS
from tests.assignment_support import create, fixed_rng, make_pool, request_form
from tests.support import T0


def test_the_draws_random_source_comes_in_on_the_host_context(session, users, monkeypatch):
    seen = []
    original = HOST_FUNCTIONS["draw_experts"]
    monkeypatch.setitem(HOST_FUNCTIONS, "draw_experts", lambda ctx, **kw: seen.append(ctx.rng) or original(ctx, **kw))
    make_pool(session, 4)
    rng = fixed_rng(5)
    request = create(session, users["using_unit"], rng=rng)
    assert seen == [rng]
    assert session.scalar(select(DrawRecordRow.seed_hex).where(DrawRecordRow.request_id == request.id)) == "05" * 32
    other = services.create_request(session, users["using_unit"], request_form(title="另一项抽查"), T0)  # os.urandom
    seeds = session.scalars(select(DrawRecordRow.seed_hex).where(DrawRecordRow.request_id == other.id)).all()
    assert seen[-1] is None and seeds != ["05" * 32] and len(seeds[0]) == 64
