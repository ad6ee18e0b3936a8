"""Survey results: campaign progress, per account and per contact, trends, and what feeds the scorecard.

Everything is derived from the invitations and responses on read, with a fixed number of queries per page.
Anonymity (a tenant setting): names are hidden, and an account's (or a campaign's) results are shown only
from K answers; below that the page says how many more are needed, never the numbers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Account, ActionItem, Contact
from sam.charts import line_chart
from sam.tenancy.urls import tenant_reverse
from voc import scoring
from voc.models import ACTION_SOURCE, Campaign, Invitation, Question, Response, VocSettings

ANSWERED = Invitation.Status.COMPLETED
# Invitations that reached someone: the base of the response rate.
DELIVERED = (Invitation.Status.SENT, Invitation.Status.OPENED, Invitation.Status.COMPLETED)


@dataclass
class Rollup:
    """One group of invitations (a campaign, an account in a campaign, an account over time)."""

    invited: int = 0
    delivered: int = 0
    answered: int = 0
    scores: list[int] = field(default_factory=list)
    pairs: list[tuple[float | None, float | None]] = field(default_factory=list)
    attitudes: list[float] = field(default_factory=list)
    hidden: bool = False  # anonymity: fewer than K answers
    needed: int = 0

    @property
    def nps(self) -> scoring.Nps:
        return scoring.nps(self.scores)

    @property
    def response_rate(self) -> float | None:
        return round(self.answered * 100 / self.delivered, 1) if self.delivered else None

    @property
    def satisfaction(self) -> float | None:
        return round(sum(self.attitudes) / len(self.attitudes), 2) if self.attitudes else None

    def segment(self, config: VocSettings) -> str | None:
        return scoring.account_segment(
            self.pairs, attitude_cutoff=float(config.attitude_cutoff), intent_cutoff=float(config.intent_cutoff)
        )

    def add(self, invitation: Invitation, response: Response | None) -> None:
        self.invited += 1
        if invitation.status in DELIVERED:
            self.delivered += 1
        if response is not None:
            self.answered += 1
            if response.nps is not None:
                self.scores.append(response.nps)
            attitude = float(response.attitude) if response.attitude is not None else None
            intent = float(response.intent) if response.intent is not None else None
            self.pairs.append((attitude, intent))
            if attitude is not None:
                self.attitudes.append(attitude)

    def apply_anonymity(self, config: VocSettings) -> Rollup:
        if config.anonymous and self.answered < config.anonymity_threshold:
            self.hidden, self.needed = True, config.anonymity_threshold - self.answered
        return self


def _responses(invitations: list[Invitation], fields: Sequence[str] = ()) -> dict[int, Response]:
    ids = [i.pk for i in invitations if i.status == ANSWERED]
    if not ids:
        return {}
    answers = Response.objects.filter(invitation_id__in=ids)
    return {r.invitation_id: r for r in (answers.only(*fields) if fields else answers)}


# The columns of the answers an account's results use (account_results); the rest stays in the database.
ROLLUP_RESPONSE_FIELDS = ("tenant_id", "invitation_id", "nps", "attitude", "intent", "comment", "submitted_at")


def segment_of(response: Response | None, config: VocSettings) -> str | None:
    if response is None or response.attitude is None or response.intent is None:
        return None
    return scoring.segment(
        float(response.attitude),
        float(response.intent),
        attitude_cutoff=float(config.attitude_cutoff),
        intent_cutoff=float(config.intent_cutoff),
    )


# --- a campaign ---------------------------------------------------------------------------------------


def campaign_counts(campaigns: list[Campaign]) -> dict[int, dict[str, int]]:
    """Invitations per status of each campaign, in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Invitation.objects.filter(campaign__in=campaigns)
        .values("campaign_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["campaign_id"]][row["status"]] = row["n"]
    return counts


def progress(counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.values())
    delivered = sum(counts.get(s, 0) for s in DELIVERED)
    answered = counts.get(ANSWERED, 0)
    return {
        "total": total,
        "by_status": [(value, label, counts.get(value, 0)) for value, label in Invitation.Status.choices],
        "answered": answered,
        "delivered": delivered,
        "rate": round(answered * 100 / delivered, 1) if delivered else None,
        "percent": round(answered * 100 / total) if total else 0,
    }


def campaign_results(campaign: Campaign) -> dict[str, Any]:
    """A campaign's progress, its overall results and one row per account (three queries)."""
    config = VocSettings.current()
    invitations = list(
        campaign.invitations.select_related("contact", "contact__account").order_by(
            "contact__account__name", "contact__name"
        )
    )
    responses = _responses(invitations)
    overall = Rollup()
    accounts: dict[int, dict[str, Any]] = {}
    for invitation in invitations:
        response = responses.get(invitation.pk)
        overall.add(invitation, response)
        account = invitation.contact.account
        row = accounts.setdefault(account.pk, {"account": account, "rollup": Rollup()})
        row["rollup"].add(invitation, response)
    for row in accounts.values():
        row["rollup"].apply_anonymity(config)
        row["segment"] = None if row["rollup"].hidden else row["rollup"].segment(config)
    overall.apply_anonymity(config)
    counts: dict[str, int] = defaultdict(int)
    for invitation in invitations:
        counts[invitation.status] += 1
    # Under anonymity a comment shows only when its account's group is large enough.
    shown = {pk for pk, row in accounts.items() if not row["rollup"].hidden}
    by_id = {i.pk: i for i in invitations}
    comments = sorted(
        (
            (r, by_id[r.invitation_id])
            for r in responses.values()
            if r.comment and by_id[r.invitation_id].contact.account_id in shown
        ),
        key=lambda pair: pair[0].submitted_at,
        reverse=True,
    )
    return {
        "config": config,
        "progress": progress(counts),
        "overall": overall,
        "overall_segment": None if overall.hidden else overall.segment(config),
        "accounts": list(accounts.values()),
        "invitations": [(i, responses.get(i.pk)) for i in invitations],
        "comments": comments,
    }


# --- an account ---------------------------------------------------------------------------------------


def account_results(account: Any) -> dict[str, Any]:
    """An account over every campaign that asked it: the trend, the latest results, its contacts and their
    answers, the comments (five queries)."""
    config = VocSettings.current()
    invitations = list(
        Invitation.objects.filter(contact__account=account)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .order_by("campaign__send_at", "campaign_id", "contact__name")
        .only("tenant_id", "status", "campaign_id", "contact_id")
    )
    # Each campaign and contact made once, not once per invitation, with what the tab shows of them: the account's
    # contacts in one plain query (a prefetch would name each of them in a long IN list).
    campaigns = Campaign.objects.only("tenant_id", "name", "status", "send_at", "sent_at").in_bulk(
        {i.campaign_id for i in invitations}
    )
    people_of_account = {
        c.pk: c for c in Contact.objects.filter(account=account).only("tenant_id", "name", "buyer_role")
    }
    for invitation in invitations:
        invitation.campaign = campaigns[invitation.campaign_id]
        invitation.contact = people_of_account[invitation.contact_id]
    responses = _responses(invitations, ROLLUP_RESPONSE_FIELDS)
    by_campaign: dict[int, dict[str, Any]] = {}
    contacts: dict[int, dict[str, Any]] = {}
    for invitation in invitations:
        response = responses.get(invitation.pk)
        row = by_campaign.setdefault(invitation.campaign_id, {"campaign": invitation.campaign, "rollup": Rollup()})
        row["rollup"].add(invitation, response)
        person = contacts.setdefault(invitation.contact_id, {"contact": invitation.contact, "history": []})
        person["history"].append((invitation, response, segment_of(response, config)))
    trend = list(by_campaign.values())
    for row in trend:
        row["rollup"].apply_anonymity(config)
        row["segment"] = None if row["rollup"].hidden else row["rollup"].segment(config)
    latest = next((row for row in reversed(trend) if row["rollup"].answered), None)
    people = []
    for person in contacts.values():
        answered = [(i, r, s) for i, r, s in person["history"] if r is not None]
        person["latest"] = answered[-1] if answered else None
        people.append(person)
    shown = {row["campaign"].pk for row in trend if not row["rollup"].hidden}  # anonymity: K answers per campaign
    comments = sorted(
        (
            (r, i)
            for i, r in ((i, responses.get(i.pk)) for i in invitations)
            if r is not None and r.comment and i.campaign_id in shown
        ),
        key=lambda pair: pair[0].submitted_at,
        reverse=True,
    )
    return {"config": config, "trend": trend, "latest": latest, "contacts": people, "comments": comments}


def account_trend_chart(trend: list[dict[str, Any]]) -> Any:
    """NPS over the campaigns that asked the account (the shared SVG chart helper)."""

    points = [(_label(row["campaign"]), None if row["rollup"].hidden else row["rollup"].nps.score) for row in trend]
    if not any(value is not None for _, value in points):
        return ""
    return line_chart("NPS by campaign", points, top=100, bottom=-100, reference=("0", 0))


def _label(campaign: Campaign) -> str:
    when = campaign.sent_at or campaign.send_at
    return when.strftime("%b %Y") if when else campaign.name[:12]


def contact_history(contact: Any) -> dict[str, Any]:
    config = VocSettings.current()
    invitations = list(
        Invitation.objects.filter(contact=contact).select_related("campaign").order_by("-campaign__send_at", "-pk")
    )
    responses = _responses(invitations)
    history = [(i, responses.get(i.pk), segment_of(responses.get(i.pk), config)) for i in invitations]
    return {"config": config, "history": history}


# --- feeds the scorecard and the account page ------------------------------------------------------------------


def _period_invitations(account: Any, period: Any) -> tuple[list[Invitation], dict[int, Response]]:
    """The account's invitations of the campaigns sent within the period, and their answers."""
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end, time.max))
    invitations = list(Invitation.objects.filter(contact__account=account, campaign__sent_at__range=(start, end)))
    return invitations, _responses(invitations)


def _period_rollup(account: Any, period: Any) -> Rollup:
    invitations, responses = _period_invitations(account, period)
    rollup = Rollup()
    for invitation in invitations:
        rollup.add(invitation, responses.get(invitation.pk))
    return rollup.apply_anonymity(VocSettings.current())


def nps_source(account: Any, period: Any) -> tuple[Decimal | None, str]:
    rollup = _period_rollup(account, period)
    if rollup.hidden:
        return None, f"fewer than {rollup.answered + rollup.needed} survey answers (anonymity)"
    score = rollup.nps.score
    if score is None:
        return None, "no survey answer in the period"
    return Decimal(str(score)), f"NPS of {len(rollup.scores)} survey answers"


def satisfaction_source(account: Any, period: Any) -> tuple[Decimal | None, str]:
    rollup = _period_rollup(account, period)
    if rollup.hidden or rollup.satisfaction is None:
        return None, "no satisfaction answer in the period" if not rollup.hidden else "too few answers (anonymity)"
    return Decimal(str(rollup.satisfaction)), f"mean satisfaction (1-5) of {len(rollup.attitudes)} answers"


def response_rate_source(account: Any, period: Any) -> tuple[Decimal | None, str]:
    rollup = _period_rollup(account, period)
    if rollup.response_rate is None:
        return None, "no survey sent in the period"
    return Decimal(str(rollup.response_rate)), f"{rollup.answered} of {rollup.delivered} invitations answered"


def loyalty_source(account: Any, period: Any) -> tuple[Decimal | None, str]:
    """The share of the account's contacts who answered in the period that are truly loyal (%).

    Each contact counts once, with their latest answer on both loyalty axes; truly loyal means satisfaction and
    intent to continue both at or above the tenant's cut-offs. The explanation also names the account's segment.
    """
    config = VocSettings.current()
    cutoffs = {"attitude_cutoff": float(config.attitude_cutoff), "intent_cutoff": float(config.intent_cutoff)}
    invitations, responses = _period_invitations(account, period)
    rollup = Rollup()
    latest: dict[int, tuple[datetime, float, float]] = {}  # contact -> their latest (when, attitude, intent)
    for invitation in invitations:
        response = responses.get(invitation.pk)
        rollup.add(invitation, response)
        if response is None or response.attitude is None or response.intent is None:
            continue
        kept = latest.get(invitation.contact_id)
        if kept is None or response.submitted_at > kept[0]:
            latest[invitation.contact_id] = (response.submitted_at, float(response.attitude), float(response.intent))
    if rollup.apply_anonymity(config).hidden:
        return None, f"fewer than {rollup.answered + rollup.needed} survey answers (anonymity)"
    if not latest:
        return None, "no survey answer on both satisfaction and intent to continue in the period"
    pairs = [(attitude, intent) for _, attitude, intent in latest.values()]
    loyal = sum(1 for attitude, intent in pairs if scoring.segment(attitude, intent, **cutoffs) == scoring.TRULY_LOYAL)
    segment = scoring.account_segment(pairs, **cutoffs)
    share = Decimal(str(round(loyal * 100 / len(pairs), 1)))
    rule = (
        f"satisfaction at least {cutoffs['attitude_cutoff']:g} and intent to continue at least "
        f"{cutoffs['intent_cutoff']:g}, out of 5"
    )
    label = scoring.SEGMENT_LABELS.get(segment or "", "not known").lower()
    return share, f"{loyal} of {len(pairs)} contacts who answered are truly loyal ({rule}); account segment: {label}"


def account_fact(account: Any, slug: str) -> dict[str, Any] | None:
    """For the account page: the latest NPS and loyalty segment."""

    config = VocSettings.current()
    last = (
        Invitation.objects.filter(contact__account=account, status=ANSWERED)
        .order_by("-campaign__sent_at")
        .values_list("campaign_id", flat=True)
        .first()
    )
    if last is None:
        return None
    invitations = list(Invitation.objects.filter(contact__account=account, campaign_id=last))
    responses = _responses(invitations)
    rollup = Rollup()
    for invitation in invitations:
        rollup.add(invitation, responses.get(invitation.pk))
    rollup.apply_anonymity(config)
    url = tenant_reverse("account_detail", account.pk, slug=slug) + "?tab=voc"
    if rollup.hidden:
        return {"label": "NPS", "value": "hidden (too few answers)", "url": url, "tone": ""}
    score = rollup.nps.score
    segment = rollup.segment(config)
    value = f"{score:+.0f}" if score is not None else "n/a"
    if segment:
        value += f" · {scoring.SEGMENT_LABELS[segment].lower()}"
    return {
        "label": "NPS",
        "value": value,
        "url": url,
        "tone": "danger" if (score is not None and score < 0) or segment == scoring.HIGH_RISK else "",
    }


# The scorecard metrics the surveys feed (key, label, source), registered by VocConfig.ready.
METRIC_SOURCES = (
    ("voc_nps", "Net Promoter Score (surveys)", nps_source),
    ("voc_satisfaction", "Satisfaction 1-5 (surveys)", satisfaction_source),
    ("voc_response_rate", "Survey response rate (%)", response_rate_source),
    ("voc_loyalty", "Truly loyal contacts (%, surveys)", loyalty_source),
)


# --- the account's VoC report and the digest of a closed campaign ----------------------------------------------

# Campaigns whose answers the report spells out, newest first; older ones stay in its table of campaigns.
REPORT_CAMPAIGNS = 12
ANONYMOUS_NAME = "A contact"


@dataclass
class AnswerRow:
    """One contact's answers in one campaign. Under anonymity ``name`` is None and only answers are listed."""

    name: str | None
    role: str
    response: Response | None
    segment: str | None
    others: list[tuple[str, str]]  # (question, answer) of the questions beyond NPS and the two loyalty axes

    @property
    def segment_label(self) -> str:
        return scoring.SEGMENT_LABELS.get(self.segment or "", "")


@dataclass
class FollowUp:
    """A follow-up action of the survey program, as the report may show it (its title hides names under
    anonymity, and says nothing of a group with too few answers)."""

    item: ActionItem
    title: str
    campaign: Campaign | None


@dataclass
class Section:
    """One account's results in one campaign: the figures, each contact's answers, comments and follow-ups."""

    campaign: Campaign
    rollup: Rollup
    segment: str | None = None
    rows: list[AnswerRow] = field(default_factory=list)
    comments: list[tuple[str | None, Response]] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def segment_label(self) -> str:
        return scoring.SEGMENT_LABELS.get(self.segment or "", "")

    @property
    def follow_up_counts(self) -> dict[str, int]:
        return _status_counts(self.follow_ups)


def _status_counts(follow_ups: list[FollowUp]) -> dict[str, int]:
    counts = {label: 0 for _, label in ActionItem.Status.choices}
    for follow_up in follow_ups:
        counts[follow_up.item.get_status_display()] += 1
    return {label: n for label, n in counts.items() if n}


def _answer_text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _section(
    campaign: Campaign,
    invitations: list[Invitation],
    responses: dict[int, Response],
    questions: list[Question],
    config: VocSettings,
) -> Section:
    """The results of one account's invitations in one campaign, with the anonymity of the results page: no names
    under anonymity, and from fewer than K answers only how many were asked and answered."""
    section = Section(campaign, Rollup())
    for invitation in invitations:
        section.rollup.add(invitation, responses.get(invitation.pk))
    if section.rollup.apply_anonymity(config).hidden:
        return section
    section.segment = section.rollup.segment(config)
    # The answers beyond NPS and the two axes; free text is the comment.
    others = [q for q in questions if q.role == Question.Role.OTHER and q.kind != Question.Kind.TEXT]
    for invitation in invitations:
        response = responses.get(invitation.pk)
        if response is None and config.anonymous:
            continue  # who did not answer is a name too
        answers = response.answers if response is not None else {}
        section.rows.append(
            AnswerRow(
                name=None if config.anonymous else invitation.contact.name,
                role="" if config.anonymous else invitation.contact.get_buyer_role_display(),
                response=response,
                segment=segment_of(response, config),
                others=[(q.text, _answer_text(answers[str(q.pk)])) for q in others if answers.get(str(q.pk))],
            )
        )
        if response is not None and response.comment:
            section.comments.append((None if config.anonymous else invitation.contact.name, response))
    if config.anonymous:  # in no order a list of names could be laid beside
        section.rows.sort(key=lambda row: row.response.nps if row.response and row.response.nps is not None else -1)
        section.comments.sort(key=lambda pair: pair[1].comment)
    return section


def _follow_up(item: ActionItem, section: Section | None, names: list[str], config: VocSettings) -> FollowUp:
    title = item.title
    if config.anonymous:
        if section is None or section.rollup.hidden:
            title = f"A follow-up of a survey answer (hidden until {config.anonymity_threshold} answers)"
        for name in names:
            title = re.sub(rf"\b{re.escape(name)}\b", ANONYMOUS_NAME, title)
    return FollowUp(item, title, section.campaign if section is not None else None)


def _questions_of(invitations: list[Invitation]) -> dict[int, list[Question]]:
    versions = {i.campaign.version_id for i in invitations}
    by_version: dict[int, list[Question]] = defaultdict(list)
    if versions:
        for question in Question.objects.filter(version_id__in=versions).order_by("order", "pk"):
            by_version[question.version_id].append(question)
    return by_version


def _campaign_of(item: ActionItem) -> int | None:
    return int(item.source_id) if item.source_id.isdigit() else None


def report_account(account_id: int) -> Account | None:
    """A live account for its VoC report (with its owner, whom the report names)."""
    return Account.objects.alive().select_related("owner").filter(pk=account_id).first()


def account_campaigns(account: Account) -> QuerySet[Campaign]:
    """The campaigns sent to the account's contacts (drafts asked nobody yet), newest first."""
    asked = Invitation.objects.filter(contact__account=account).values("campaign_id")
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).filter(pk__in=asked).order_by("-send_at", "-pk")


def account_report(account: Account, *, campaign: Campaign | None = None) -> dict[str, Any]:
    """The account's VoC report: every campaign that asked it (or the one given), the figures of each, the
    contacts' answers and comments as anonymity allows, and the survey's follow-up actions with their status.
    Five queries, whatever the number of campaigns, contacts and actions."""
    config = VocSettings.current()
    invitations_qs = Invitation.objects.filter(contact__account=account).exclude(campaign__status=Campaign.Status.DRAFT)
    actions_qs = ActionItem.objects.filter(account=account, source_kind=ACTION_SOURCE)
    if campaign is not None:
        invitations_qs = invitations_qs.filter(campaign=campaign)
        actions_qs = actions_qs.filter(source_id=str(campaign.pk))
    invitations = list(
        invitations_qs.select_related("campaign", "contact").order_by(
            "campaign__send_at", "campaign_id", "contact__name", "pk"
        )
    )
    responses = _responses(invitations)
    questions = _questions_of(invitations)
    by_campaign: dict[int, list[Invitation]] = {}
    for invitation in invitations:
        by_campaign.setdefault(invitation.campaign_id, []).append(invitation)
    trend = [
        _section(group[0].campaign, group, responses, questions[group[0].campaign.version_id], config)
        for group in by_campaign.values()
    ]
    sections = {s.campaign.pk: s for s in trend}
    names = sorted({i.contact.name for i in invitations if i.contact.name}, key=len, reverse=True)
    follow_ups = []
    for item in actions_qs.select_related("owner").order_by("status", "due", "pk"):
        campaign_id = _campaign_of(item)
        follow_up = _follow_up(item, sections.get(campaign_id) if campaign_id else None, names, config)
        follow_ups.append(follow_up)
        if campaign_id in sections:
            sections[campaign_id].follow_ups.append(follow_up)
    newest = list(reversed(trend))
    latest = next((s for s in newest if s.rollup.answered), None)
    return {
        "account": account,
        "config": config,
        "campaign": campaign,
        "trend": trend,
        "sections": newest[:REPORT_CAMPAIGNS],
        "older": max(0, len(newest) - REPORT_CAMPAIGNS),
        "latest": latest,
        "follow_ups": follow_ups,
        "follow_up_counts": _status_counts(follow_ups),
        "chart": account_trend_chart([{"campaign": s.campaign, "rollup": s.rollup} for s in trend])
        if campaign is None and len(trend) > 1
        else "",
        "segments": scoring.SEGMENT_LABELS,
    }


def campaign_digests(campaign: Campaign) -> list[tuple[Account, Section]]:
    """Each account a campaign asked, with its results in it (for the digests its closing sends): the accounts
    and their owners, invitations, answers, questions and follow-ups in five queries."""
    config = VocSettings.current()
    invitations = list(
        Invitation.objects.filter(campaign=campaign)
        .select_related("contact")
        .order_by("contact__account_id", "contact__name", "pk")
    )
    responses = _responses(invitations)
    questions = list(Question.objects.filter(version_id=campaign.version_id).order_by("order", "pk"))
    by_account: dict[int, list[Invitation]] = {}
    for invitation in invitations:
        by_account.setdefault(invitation.contact.account_id, []).append(invitation)
    accounts = Account.objects.alive().filter(pk__in=by_account).select_related("owner").order_by("name")
    follow_ups: dict[int, list[ActionItem]] = defaultdict(list)
    for item in ActionItem.objects.filter(
        account_id__in=by_account, source_kind=ACTION_SOURCE, source_id=str(campaign.pk)
    ).order_by("status", "due", "pk"):
        follow_ups[item.account_id].append(item)
    digests = []
    for account in accounts:
        group = by_account[account.pk]
        section = _section(campaign, group, responses, questions, config)
        names = sorted({i.contact.name for i in group if i.contact.name}, key=len, reverse=True)
        section.follow_ups = [_follow_up(item, section, names, config) for item in follow_ups[account.pk]]
        digests.append((account, section))
    return digests
