"""The personas the Copilot can switch between, and how the keyword engine explains a choice.

The bundled persona (or the first `--agent PATH`) loads at once; the user's other agent files
are discovered later (`with_discovered`), so finding them never delays the first paint. A file
that fails to load becomes one problem line ("path:line: what") and the others still work.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agent.errors import AgentFileError
from agent.lazy_model import LazyModel
from agent.persona.activation_profile import profile_of, relevance_model, remember_profile
from agent.persona.cache import PersonaCache
from agent.persona.models import Persona
from agent.persona.persona import DEFAULT_PERSONA_PATH, discover_agent_files, load_persona
from agent.session.models import SessionState
from keywords import ActivationResult, Activator
from keywords.profile import RelevanceModel

# Where a persona came from; on a name clash the higher one wins (your file beats the bundled).
BUNDLED, DISCOVERED, EXPLICIT = 0, 1, 2


class PersonaInfo(LazyModel):
    """One row of `/persona list` and the palette: what a persona is and how it scores now."""

    name: str
    title: str
    description: str = ""
    keywords: list[str]
    profile: list[str] = []  # its activation profile's heaviest words (name, description, ...)
    score: float  # over the current keyword window
    active: bool  # on right now
    shown: bool  # its panels are the ones on screen
    pinned: bool  # pinned on by the user
    default: bool
    source: str  # the file it came from
    phases: int
    trees: int
    checklists: int


class PersonaLibrary:
    """An ordered, immutable set of personas; the default first (it wins ties)."""

    def __init__(
        self,
        personas: Sequence[Persona],
        *,
        ranks: Sequence[int] | None = None,
        discovered: bool = False,
    ) -> None:
        if not personas:
            raise ValueError("a persona library needs at least one persona")
        self.personas: tuple[Persona, ...] = tuple(personas)
        self._ranks = tuple(ranks) if ranks is not None else (BUNDLED,) * len(self.personas)
        self.discovered = discovered
        self._relevance: RelevanceModel | None = None

    # -- reading ---------------------------------------------------------------------------

    @property
    def default(self) -> Persona:
        return self.personas[0]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.personas]

    def get(self, name: str | None) -> Persona | None:
        """By exact name, else case-insensitively; None when unknown."""
        if not name:
            return None
        for persona in self.personas:
            if persona.name == name:
                return persona
        wanted = name.lower()
        return next((p for p in self.personas if p.name.lower() == wanted), None)

    def keywords(self) -> dict[str, list[str]]:
        return {p.name: list(p.keywords) for p in self.personas}

    def relevance(self) -> RelevanceModel:
        """Every persona's activation profile, scored over this library (built once)."""
        if self._relevance is None:
            self._relevance = relevance_model(self.personas)
        return self._relevance

    def activator(self) -> Activator:
        """A fresh engine: explicit keywords plus each persona's profile."""
        return Activator(self.keywords(), relevance=self.relevance())

    def detect(self, text: str) -> ActivationResult:
        """One message, a fresh conversation: which persona would switch on, and why."""
        return self.activator().feed(text)

    def activator_for(self, state: SessionState) -> Activator:
        """The engine as the session left it: its user messages replayed, its decision restored."""
        activator = self.activator()
        activator.replay_tail([m.content for m in state.messages if m.role == "user"])
        on = state.persona if state.persona_active else None
        activator.restore(state.persona_mode, on)
        return activator

    # -- building --------------------------------------------------------------------------

    @classmethod
    def initial(
        cls, agent_paths: Sequence[str | Path], problems: list[str], *, strict: bool
    ) -> PersonaLibrary:
        """The bundled persona and each `--agent PATH`; the first of those that loads is default.

        strict=True lets a broken `--agent` file's AgentFileError reach the caller (the CLI);
        otherwise it becomes a problem line and the rest still load.
        """
        cache = PersonaCache()
        library = cls([_load(cache, DEFAULT_PERSONA_PATH)], ranks=[BUNDLED])
        explicit: list[Persona] = []
        for path in agent_paths:
            try:
                explicit.append(_load(cache, Path(path)))
                problems.extend(explicit[-1].warnings)
            except AgentFileError as exc:
                if strict:
                    cache.save()
                    raise
                problems.append(f"{exc} — using the other personas instead.")
        cache.save()
        for persona in explicit:
            library = library._with(persona, EXPLICIT, problems)
        if explicit:
            library = library._first(explicit[0].name)
        return library

    def with_discovered(
        self, cwd: Path | None = None, config_dir: Path | None = None
    ) -> tuple[PersonaLibrary, list[str]]:
        """A new library with every discovered agent file added; and one line per failed file."""
        problems: list[str] = []
        library = self
        known = {str(Path(p.source_path).resolve()) for p in self.personas if p.source_path}
        cache = PersonaCache()
        for path in discover_agent_files(cwd=cwd, config_dir=config_dir):
            if str(path.resolve()) in known:
                continue  # also given with --agent
            try:
                persona = _load(cache, path)
            except AgentFileError as exc:
                problems.append(str(exc))
                continue
            except (OSError, UnicodeError, ValueError) as exc:  # never a traceback
                problems.append(f"{path}: {exc}")
                continue
            problems.extend(persona.warnings)
            library = library._with(persona, DISCOVERED, problems)
        cache.save()
        return PersonaLibrary(library.personas, ranks=library._ranks, discovered=True), problems

    def _with(self, persona: Persona, rank: int, problems: list[str]) -> PersonaLibrary:
        personas, ranks = list(self.personas), list(self._ranks)
        clash = next((i for i, p in enumerate(personas) if p.name == persona.name), None)
        if clash is None:
            personas.append(persona)
            ranks.append(rank)
        elif rank > ranks[clash]:
            replaced = personas[clash]
            personas[clash], ranks[clash] = persona, rank
            if ranks[clash] > BUNDLED and self._ranks[clash] == BUNDLED:
                derived = "" if persona.keywords else (
                    "; it has no keywords section, so it switches on by its description and "
                    "headings"
                )
                problems.append(
                    f"{persona.source_path}: replaces the bundled persona '{persona.name}' "
                    f"({replaced.source_path}){derived}."
                )
        else:
            problems.append(
                f"{persona.source_path}: a persona named '{persona.name}' is already loaded from "
                f"{personas[clash].source_path}; give this one another `name:` in its frontmatter."
            )
        return PersonaLibrary(personas, ranks=ranks, discovered=self.discovered)

    def _first(self, name: str) -> PersonaLibrary:
        order = sorted(range(len(self.personas)), key=lambda i: self.personas[i].name != name)
        return PersonaLibrary(
            [self.personas[i] for i in order],
            ranks=[self._ranks[i] for i in order],
            discovered=self.discovered,
        )

    # -- explaining ------------------------------------------------------------------------

    def overview(
        self, activator: Activator, *, shown: str, active: bool, mode: str
    ) -> list[PersonaInfo]:
        """Every persona with its keywords and its score over the current window."""
        scores = activator.state()["scores"]
        return [
            PersonaInfo(
                name=p.name,
                title=p.title,
                description=p.description,
                keywords=list(p.keywords),
                profile=[word for word, _ in profile_of(p).top(8)],
                score=round(scores.get(p.name, 0.0), 2),
                active=active and p.name == shown,
                shown=p.name == shown,
                pinned=mode == "on" and p.name == shown,
                default=i == 0,
                source=p.source_path,
                phases=len(p.phases),
                trees=len(p.decision_trees),
                checklists=len(p.checklists),
            )
            for i, p in enumerate(self.personas)
        ]


def _load(cache: PersonaCache, path: Path) -> Persona:
    """The persona at path, from the cache when the file has not changed since it was read."""
    cached = cache.get(path)
    if cached is not None:
        persona, profile = cached
        if profile is not None:
            remember_profile(persona, profile)
            return persona
    persona = load_persona(path)
    cache.put(path, persona, profile_of(persona))
    return persona


def explain(result: ActivationResult, previous: str = "") -> str:
    """One line saying why: the matched words and score, whom it took over from, the runner-up."""
    parts = [result.reason]
    scores = result.scores
    # A persona with no score at all is not a runner-up (nor worth a "(0.0)").
    runner = result.runner_up if len(scores) > 1 else None
    if runner and scores.get(runner, 0.0) <= 0:
        runner = None
    if previous and result.active and result.persona != previous:
        left = scores.get(previous, 0.0)
        also = ", the runner-up" if runner == previous else ""
        score = f" ({_score(left)})" if left > 0 else ""
        parts.append(f"took over from {previous}{also}{score}")
    if runner and not (previous == runner and result.active):
        parts.append(f"runner-up {runner} ({_score(scores.get(runner, 0.0))})")
    return "; ".join(p for p in parts if p)


def _score(value: float) -> str:
    return str(round(value, 2))
