"""``tg-support demo``: the emulator, Redis, the bot and a worker on one machine.

The demo world: a Spanish-speaking learner, an English-speaking helper, a Hindi-speaking
helper, a group admin, and two forum supergroups (Spanish and English) with the bot as an
administrator that may manage topics. Six learners of Coursera's Machine Learning wait for a
study circle, three in Europe and three in the Americas: one more learner of the course in
either band (María, once she added the course) and ``/circles`` forms a circle within
seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tg_support.config import Settings, load_settings
from tg_support.core.redis_conn import EmbeddedRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from tg_support.core.store import Store

log = logging.getLogger(__name__)

DEMO_TOKEN = "7000001:SANDBOX-demo-token-not-a-secret"
DEMO_COURSE = "coursera:machine-learning"
# (key, first name, language, time zone): learners already waiting for a circle of DEMO_COURSE.
CIRCLE_LEARNERS = [
    ("circle_es_1", "Lucía", "es", "Europe/Madrid"),
    ("circle_es_2", "Pablo", "es", "Europe/Madrid"),
    ("circle_en_1", "Tom", "en", "Europe/London"),
    ("circle_es_3", "Diego", "es", "America/Mexico_City"),
    ("circle_es_4", "Valentina", "es", "America/Bogota"),
    ("circle_en_2", "Sam", "en", "America/New_York"),
]


@dataclass
class DemoWorld:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)


async def seed_world(client: Any, token: str = DEMO_TOKEN) -> DemoWorld:
    """People and groups for a first look; the bot registers the groups itself on /register.

    ``token`` is the bot that joins both groups as an administrator (tests pass their own)."""
    world = DemoWorld(users=await _create_people(client))
    world.groups = await _create_groups(client, {k: v["id"] for k, v in world.users.items()}, token)
    return world


async def _create_people(client: Any) -> dict[str, dict[str, Any]]:
    """The learner, the two helpers, the admin and the learners waiting for a circle."""
    people = {
        "learner_es": {"first_name": "María", "last_name": "García", "username": "maria_learns", "language_code": "es"},
        "helper_en": {"first_name": "John", "last_name": "Smith", "username": "john_helps", "language_code": "en"},
        "helper_hi": {"first_name": "Priya", "last_name": "Sharma", "username": "priya_helps", "language_code": "hi"},
        "admin": {"first_name": "Ana", "last_name": "López", "username": "ana_admin", "language_code": "es"},
    }  # fmt: skip
    for key, name, lang, _tz in CIRCLE_LEARNERS:
        people[key] = {"first_name": name, "last_name": "Demo", "language_code": lang}
    return {key: await client.create_user(**spec) for key, spec in people.items()}


async def _create_groups(client: Any, ids: dict[str, Any], token: str) -> dict[str, dict[str, Any]]:
    """The Spanish and English forum groups, with bot ``token`` as an administrator."""
    bot_admin = [{"token": token, "status": "administrator", "can_manage_topics": True}]
    groups: dict[str, dict[str, Any]] = {}
    groups["es"] = await client.create_group(
        title="MOOC en español — Comunidad",
        is_forum=True,
        members=[
            {"user_id": ids["admin"], "status": "creator"},
            {"user_id": ids["learner_es"], "status": "member"},
            {"user_id": ids["helper_en"], "status": "member"},
        ],
        bots=bot_admin,
    )
    groups["en"] = await client.create_group(
        title="MOOC Help (English)",
        is_forum=True,
        members=[
            {"user_id": ids["admin"], "status": "creator"},
            {"user_id": ids["helper_en"], "status": "administrator"},
            {"user_id": ids["helper_hi"], "status": "member"},
        ],
        bots=bot_admin,
    )
    return groups


async def clear_prefix(redis_url: str, prefix: str) -> None:
    from tg_support.core.redis_conn import async_client

    redis = async_client(redis_url)
    async for key in redis.scan_iter(f"{prefix}*", count=1000):
        await redis.delete(key)
    await redis.aclose()


async def seed_state(redis_url: str, prefix: str, world: DemoWorld) -> None:
    """What the bot would know after the admin registered both groups and the helpers
    onboarded, so a learner can ask at once; María is left to onboard herself."""
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Store

    redis = async_client(redis_url)
    store = Store(redis, prefix)
    ids = {k: int(v["id"]) for k, v in world.users.items()}
    await _register_groups(store, world, ids)
    await _onboard_helpers(store, redis, prefix, ids)
    await seed_circle_pool(store, ids)
    await _seed_solved(store, redis, prefix, ids)
    await redis.aclose()


async def _register_groups(store: Store, world: DemoWorld, ids: dict[str, int]) -> None:
    """Both groups as the admin's /register would have saved them."""
    from tg_support.core.store import Group

    await store.save_group(
        Group(chat_id=int(world.groups["es"]["id"]), title=str(world.groups["es"]["title"]),
              languages=["es"], region="americas", tags=["coursera", "python"], registered_by=ids["admin"])
    )  # fmt: skip
    await store.save_group(
        Group(chat_id=int(world.groups["en"]["id"]), title=str(world.groups["en"]["title"]),
              languages=["en", "*"], region="international", registered_by=ids["admin"])
    )  # fmt: skip


async def _onboard_helpers(store: Store, redis: Redis, prefix: str, ids: dict[str, int]) -> None:
    """The helpers' profiles and their cards in the helper index, as onboarding leaves them."""
    from tg_support.core.store import Profile
    from tg_support.helpers.index import HelperIndex
    from tg_support.helpers.registry import default_card

    helpers = {
        "helper_en": Profile(user_id=ids["helper_en"], lang="en", role="helper", courses=["python", "machine-learning"], tz="Europe/London", onboarded=True),
        "helper_hi": Profile(user_id=ids["helper_hi"], lang="hi", role="helper", courses=["statistics", "python"], tz="Asia/Kolkata", onboarded=True),
        "admin": Profile(user_id=ids["admin"], lang="es", role="both", courses=["python"], tz="Europe/Madrid", onboarded=True),
    }  # fmt: skip
    index = HelperIndex(redis, prefix=prefix)
    for profile in helpers.values():
        await store.save_profile(profile)
        await index.upsert(default_card(profile))


async def seed_circle_pool(store: Store, ids: dict[str, int]) -> None:
    """The waiting learners of the demo course (the planner forms circles of four)."""
    from tg_support.community.circle_store import CircleStore
    from tg_support.community.course_store import set_learner_courses
    from tg_support.core.store import Profile

    circles = store.repo(CircleStore)
    for key, name, lang, tz in CIRCLE_LEARNERS:
        profile = Profile(user_id=ids[key], lang=lang, role="learner", tz=tz, onboarded=True,
                          goal="Finish the course with a study group")  # fmt: skip
        await set_learner_courses(store, profile, [DEMO_COURSE])
        await circles.wait(ids[key], DEMO_COURSE, name if lang == "es" else None)


# (language, question, answer, English pivot of the question, tags): solved questions a
# newcomer finds before asking; the pivot makes them searchable from other languages too.
SOLVED: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("es", "¿Cómo descargo el certificado del curso cuando termino todas las tareas?",
     "En tu perfil abre «Logros» y pulsa «Descargar certificado»; aparece cuando todas las "
     "tareas calificadas están aprobadas.",
     "How do I download the course certificate when I finish all the assignments?",
     ("coursera",)),
    ("en", "Can I get a deadline extension if I miss a weekly quiz?",
     "Yes: on the Deadlines page press \"Reset deadlines\"; your progress is kept and the "
     "new dates move by a week.",
     "Can I get a deadline extension if I miss a weekly quiz?", ("coursera",)),
    ("hi", "मेरा जुपिटर नोटबुक बदलाव सेव नहीं करता, क्या करूँ?",
     "फ़ाइल मेनू में \"Save and Checkpoint\" चुनें; अगर फिर भी न हो तो पेज रीलोड करके दोबारा "
     "खोलें।",
     "My Jupyter notebook does not save changes, what should I do?", ("python",)),
    ("zh", "统计学作业里的方差和标准差有什么区别？",
     "方差是各数据与平均数之差的平方的平均值；标准差是方差的平方根，单位与原数据相同。",
     "What is the difference between variance and standard deviation in the statistics "
     "assignment?", ("statistics",)),
)  # fmt: skip


async def _seed_solved(store: Store, redis: Redis, prefix: str, ids: dict[str, int]) -> None:
    """A few solved, searchable questions with their answers (asked by learners who are not
    in the demo), so a newcomer's similar question is met with an earlier answer."""
    from tg_support.questions.search import SearchIndex
    from tg_support.questions.store import questions

    qs = questions(store)
    index = SearchIndex(redis, prefix=prefix)
    # An earlier learner (not a demo person) asked them; the English helper answered.
    asker = 0
    for lang, text, answer, pivot, tags in SOLVED:
        q = await qs.new_question(asker, text, lang, list(tags))
        await qs.update_question(
            q.qid, status="solved", answer=answer, answer_lang=lang, helper_id=ids["helper_en"]
        )
        await redis.zadd(qs.keys.solved, {q.qid: q.created_at})
        await index.add(q.qid, text, lang, pivot_text=pivot, tags=list(tags))


async def seed_demo(api_url: str, redis_url: str, prefix: str) -> DemoWorld:
    """The demo bot, people and groups in the emulator at ``api_url``; the bot's state in Redis."""
    from tg_support.sandbox import SandboxClient

    async with SandboxClient(api_url) as client:
        await client.create_bot(DEMO_TOKEN, username="mooc_support_bot", first_name="MOOC Support")
        world = await seed_world(client)
    await seed_state(redis_url, prefix, world)
    return world


def _instructions(url: str, world: DemoWorld, redis_url: str) -> str:
    learner = world.users["learner_es"]["id"]
    lines = [
        "",
        "tg-support demo is running.",
        f"  Telegram emulator : {url}  (Bot API at {url}/bot<token>)",
        f"  Web client        : {url}/  (play learner, helpers and admin in the browser)",
        f"  Redis             : {redis_url}",
        "",
        "Study circles: as María, add Machine Learning (Coursera) while onboarding or with",
        "/courses, then send /circles and tap “Find a circle”: six learners of the course",
        "are waiting, so a circle forms within seconds.",
        "",
        "Talk to the bot as María (Spanish learner) from another terminal:",
        f"  curl -s {url}/control/send -H 'content-type: application/json' \\",
        f'       -d \'{{"user_id": {learner}, "text": "/start"}}\'',
        f"  curl -s '{url}/control/messages?chat_id={learner}'",
        "",
        "Press Ctrl-C to stop everything.",
    ]
    return "\n".join(lines)


def _demo_redis(settings: Settings) -> tuple[EmbeddedRedis | None, str]:
    """The configured Redis, else an embedded one under ``DATA_DIR`` (started here)."""
    if settings.redis_url:
        return None, settings.redis_url
    embedded = EmbeddedRedis(settings.data_dir / "demo-redis")
    return embedded, embedded.url


def _demo_settings(settings: Settings, api_url: str, redis_url: str) -> Settings:
    """The bot's settings: the emulator's demo bot, the demo's Redis, shorter offer rounds."""
    return load_settings(
        **{
            **settings.model_dump(),
            "telegram_bot_token": DEMO_TOKEN,
            "telegram_api_url": api_url,
            "redis_url": redis_url,
            # A demo should show re-offers and widening within a minute, not ten.
            "offer_timeout_seconds": min(settings.offer_timeout_seconds, 45),
        }
    )


def _worker_env(settings: Settings, api_url: str, redis_url: str) -> dict[str, str]:
    """The environment that points an RQ worker at the same bot, emulator and Redis."""
    return {
        "OFFER_TIMEOUT_SECONDS": str(settings.offer_timeout_seconds),
        "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
        "TELEGRAM_API_URL": api_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
    }


async def _stop_worker(worker: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait for a worker told to stop (it hands its job back within ``seconds``); SIGKILL
    after that."""
    try:
        await asyncio.to_thread(worker.wait, seconds)
    except subprocess.TimeoutExpired:
        worker.kill()


async def run_demo(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    with_worker: bool = True,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Redis, the emulator seeded with the demo world, a worker and the bot, until Ctrl-C."""
    from tg_support.app import build_application
    from tg_support.core.lifecycle import serve
    from tg_support.core.spawn import spawn_worker
    from tg_support.sandbox import Limits, Sandbox

    embedded, redis_url = _demo_redis(settings)
    # The emulator's world is new on every start, so the demo's Redis state must be too:
    # everything under the demo's own prefix goes (and nothing else, on a shared Redis).
    prefix = settings.redis_prefix if settings.redis_prefix != "tgs:" else "tgs:demo:"
    settings = load_settings(**{**settings.model_dump(), "redis_prefix": prefix})
    await clear_prefix(redis_url, prefix)
    sandbox = Sandbox(limits=Limits())
    await sandbox.start(host=host, port=port)
    worker: subprocess.Popen[bytes] | None = None
    told: list[subprocess.Popen[bytes]] = []  # a second SIGTERM is RQ's cold shutdown
    try:
        world = await seed_demo(sandbox.url, redis_url, settings.redis_prefix)
        demo_settings = _demo_settings(settings, sandbox.url, redis_url)
        if with_worker:
            worker = spawn_worker(_worker_env(demo_settings, sandbox.url, redis_url))
        app = build_application(demo_settings, redis_url)

        def announce() -> None:
            print(_instructions(sandbox.url, world, redis_url), flush=True)
            if ready is not None:
                ready.set()

        def stopping() -> None:
            print("stopping…", flush=True)
            if worker is not None:  # at once: the worker and the bot stop in the same bound
                worker.send_signal(signal.SIGTERM)
                told.append(worker)

        # Until SIGINT or SIGTERM (or ``stop``), then a stop within STOP_TIMEOUT_SECONDS.
        await serve(
            app, stop_timeout=settings.stop_timeout_seconds, stop=stop, on_ready=announce,
            on_stop=stopping,
        )  # fmt: skip
    finally:
        if worker is not None:
            if not told:
                worker.send_signal(signal.SIGTERM)
            await _stop_worker(worker, settings.stop_timeout_seconds + 2)
        await sandbox.stop()
        if embedded is not None:
            embedded.stop()
        log.info("demo stopped (pid %s)", os.getpid())
