"""The 4 R's self-assessment: the 15 statements, their arithmetic (subtotals, total, band) and rollups.

Resolution 4 statements, Retention 2, Revenue 5, Relationships 4; each rated 1 (strongly disagree) to
5 (strongly agree); the total is out of 75. Pure functions: no database here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class Statement:
    key: str
    r: str  # resolution | retention | revenue | relationships
    text: str
    practice: str  # the best practice to adopt when this item is weak
    short: str = ""  # a chart label
    # Earlier wordings, oldest first: (the day the next wording replaced it, the text). A wording change keeps
    # the statement and its answers; a result shows the words its respondent read.
    earlier: tuple[tuple[date, str], ...] = ()

    def text_on(self, day: date | None) -> str:
        """The wording in use on a day (today's when no day is given)."""
        if day is not None:
            for until, text in self.earlier:
                if day < until:
                    return text
        return self.text


@dataclass(frozen=True)
class R:
    key: str
    label: str
    question: str


RS = (
    R("resolution", "Resolution", "Do problems get solved, and before the customer has to chase us?"),
    R("retention", "Retention", "Do we know what keeps each key account, and check it regularly?"),
    R("revenue", "Revenue", "Is growing the account everyone's job, and is that supported?"),
    R("relationships", "Relationships", "Do we build relationships on purpose, at every level?"),
)
R_LABELS = {r.key: r.label for r in RS}

# The day statements 2, 4, 6, 8, 11 and 13 were reworded closer to the method (the answers before it keep
# their scores and show the words their respondents read).
REWORDED = date(2026, 12, 3)

# A table: one row per line reads better than one field per line.
# fmt: off
STATEMENTS = (
    Statement("res_process", "resolution",
              "Our customers have a simple, quick way to get a problem solved, and someone clearly owns each one.",
              "Publish one route for problems with a named owner and a response time per severity, and report on "
              "it in every QBR.",
              short="Simple, owned resolution"),
    Statement("res_step_in", "resolution",
              "When a customer's problem calls for it, we step in ourselves and save it before it goes bad.",
              "Let account teams act on problems early: give them the authority and a small budget to fix things "
              "without waiting for approval.",
              short="Step in before escalation",
              earlier=((REWORDED, "Our people step in to fix a customer's problem before it turns into an "
                                  "escalation."),)),
    Statement("res_prevent", "resolution",
              "We put avoiding problems ahead of fixing them.",
              "Review recurring incidents every month and fund the fixes that remove their root causes.",
              short="Prevent, not only fix"),
    Statement("res_roles", "resolution",
              "With each key account we agree who does what, where and how, before an issue comes up.",
              "Write a responsibility chart with each account (both sides, every escalation level) and review it "
              "once a year.",
              short="Who does what, agreed",
              earlier=((REWORDED, "With each key account we agree who does what before an issue comes up."),)),
    Statement("ret_research", "retention",
              "We research, account by account, what keeps each key customer with us.",
              "Interview each key account once a contract (the mid-contract assessment) and run a relationship "
              "survey every year.",
              short="Research what keeps them"),
    Statement("ret_meetings", "retention",
              "We meet key accounts regularly, at several levels, to review the goals and what is going well and "
              "what is not.",
              "Hold quarterly business reviews with both sides' executives, and check the account's goals at each.",
              short="Multi-level reviews",
              earlier=((REWORDED, "We meet key accounts regularly, at several levels, to review their goals and "
                                  "ours."),)),
    Statement("rev_roles", "revenue",
              "Everyone's part in winning new business with key accounts is defined.",
              "Add the revenue part of each role (who spots, who qualifies, who proposes) to the account plan.",
              short="Revenue roles defined"),
    Statement("rev_training", "revenue",
              "We train people in the new behaviours that growing an account needs, and support them as they "
              "practise them.",
              "Train the account teams in spotting and raising opportunities, and practise it in team meetings.",
              short="Revenue skills training",
              earlier=((REWORDED, "People are trained in the behaviours that grow revenue with an account."),)),
    Statement("rev_incentives", "revenue",
              "Our incentives reward growing key accounts.",
              "Tie part of each account team's variable pay to the account's growth and health, not only to new "
              "deals.",
              short="Incentives for growth"),
    Statement("rev_celebrate", "revenue",
              "We celebrate revenue successes with key accounts.",
              "Share each win with the whole team and the customer's sponsor, and say what made it work.",
              short="Celebrate successes"),
    Statement("rev_make_room", "revenue",
              "Before we give someone new responsibilities, we take a less important one off them.",
              "When a role gains new responsibilities, name the less important task it gives up, and check the "
              "load each quarter.",
              short="Make room before adding",
              earlier=((REWORDED, "Before we add revenue duties to someone's job, we take something else away."),)),
    Statement("rel_tools", "relationships",
              "Account-planning tools are required on every key account.",
              "Require a current account plan and relationship map for each key account, reviewed every quarter.",
              short="Planning tools required"),
    Statement("rel_exec", "relationships",
              "Our account managers find reasons to meet the customer's executives regularly.",
              "Give each account manager a reason to see the customer's executives every quarter (a QBR, a "
              "roadmap briefing, a review of results), and back it with our own executive sponsor.",
              short="Meeting their executives",
              earlier=((REWORDED, "Our executives meet their counterparts at key accounts regularly."),)),
    Statement("rel_measure", "relationships",
              "We measure the behaviours that build relationships.",
              "Track relationship behaviours (contacts met, levels covered, follow-ups kept) on the account "
              "scorecard.",
              short="Measure relationships"),
    Statement("rel_training", "relationships",
              "We train people in relationship skills.",
              "Run relationship-skills training (listening, executive conversations) for everyone who meets key "
              "accounts.",
              short="Relationship training"),
)
# fmt: on
BY_KEY = {s.key: s for s in STATEMENTS}
KEYS = tuple(s.key for s in STATEMENTS)
MAXIMA = {r.key: 5 * sum(1 for s in STATEMENTS if s.r == r.key) for r in RS}
MAX_TOTAL = 5 * len(STATEMENTS)

BANDS = (  # (lowest total, band key, label, advice)
    (60, "excellent", "Excellent", "Keep it up: the program works."),
    (50, "good", "Good", "Target the weak areas below."),
    (40, "concern", "Concern", "Rethink the strategy for key accounts."),
    (0, "help", "Call for help", "Call for help now: the program needs outside attention."),
)


def band(total: float) -> str:
    """60+ excellent, 50-59 good, 40-49 concern, under 40 call for help (an average total rounds to the nearest
    whole point first, half up)."""
    whole = int(Decimal(str(total)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return next(key for low, key, _, _ in BANDS if whole >= low)


def band_info(key: str) -> dict[str, str]:
    for _, k, label, advice in BANDS:
        if k == key:
            return {"key": k, "label": label, "advice": advice}
    raise KeyError(key)


def clean(answers: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """The 15 ratings as whole numbers 1..5, and an error per statement that is missing or not a rating."""
    values, errors = {}, {}
    for key in KEYS:
        raw = answers.get(key)
        if raw is None or raw == "":
            errors[key] = "Rate this statement."
            continue
        text = raw.strip() if isinstance(raw, str) else None
        if isinstance(raw, bool) or not (isinstance(raw, int) or (text and text.isascii() and text.isdigit())):
            errors[key] = "A rating from 1 to 5."
            continue
        value = raw if isinstance(raw, int) else int(text) if len(text) <= 3 else 0  # type: ignore[arg-type]
        if not 1 <= value <= 5:
            errors[key] = "A rating from 1 to 5."
            continue
        values[key] = value
    unknown = set(answers) - set(KEYS)
    if unknown:
        errors["__all__"] = f"Unknown statements: {', '.join(sorted(unknown)[:5])}."
    return values, errors


def score(answers: Mapping[str, int]) -> dict[str, Any]:
    """Subtotals per R, the total out of 75 and the band, for a complete set of answers."""
    subtotals = {r.key: sum(answers[s.key] for s in STATEMENTS if s.r == r.key) for r in RS}
    total = sum(subtotals.values())
    return {**subtotals, "total": total, "band": band(total)}


def _avg(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def rollup(answer_sets: Iterable[Mapping[str, int]], *, on: date | None = None) -> dict[str, Any]:
    """Averages across respondents: per statement, per R (the average subtotal) and of the total, with the band
    of the average total and the weakest statements (average under 3, or the three lowest) with their practice.
    Each statement reads as worded ``on`` that day (the day its answers were given; today's by default)."""
    sets = list(answer_sets)
    n = len(sets)
    items: list[dict[str, Any]] = []
    for s in STATEMENTS:
        avg = _avg([a[s.key] for a in sets])
        items.append({"statement": s, "text": s.text_on(on), "key": s.key, "r": s.r, "average": avg})
    per_r = {}
    for r in RS:
        subs = [sum(a[s.key] for s in STATEMENTS if s.r == r.key) for a in sets]
        per_r[r.key] = {
            "key": r.key,
            "label": r.label,
            "question": r.question,
            "average": _avg(subs),
            "max": MAXIMA[r.key],
            "items": [i for i in items if i["r"] == r.key],
        }
    total = _avg([sum(a[k] for k in KEYS) for a in sets])
    rated = sorted((i for i in items if i["average"] is not None), key=lambda i: (i["average"], KEYS.index(i["key"])))
    weakest = [i for i in rated if i["average"] < 3] or rated[:3]
    return {
        "respondents": n,
        "items": items,
        "rs": [per_r[r.key] for r in RS],
        "total": total,
        "max_total": MAX_TOTAL,
        "band": band_info(band(total)) if total is not None else None,
        "weakest": weakest[:5],
    }


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Item by item and R by R: the change in the averages from one rollup to another."""

    def delta(a: float | None, b: float | None) -> float | None:
        return round(b - a, 2) if a is not None and b is not None else None

    return {
        "items": [
            {
                "statement": x["statement"],
                "text": y["text"],
                "before": x["average"],
                "after": y["average"],
                "delta": delta(x["average"], y["average"]),
            }
            for x, y in zip(before["items"], after["items"], strict=True)
        ],
        "rs": [
            {
                "label": x["label"],
                "max": x["max"],
                "before": x["average"],
                "after": y["average"],
                "delta": delta(x["average"], y["average"]),
            }
            for x, y in zip(before["rs"], after["rs"], strict=True)
        ],
        "total": {"before": before["total"], "after": after["total"], "delta": delta(before["total"], after["total"])},
    }
