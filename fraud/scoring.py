"""From facts to a decision: run the merchant's rules, add their weighted points."""

from dataclasses import dataclass, field

from fraud.enums import Decision
from fraud.inputs import Assessment, Facts, PaymentSignals, Thresholds
from fraud.rules import RULES


@dataclass(frozen=True)
class ScreeningConfig:
    """A merchant's screening: on or off, thresholds, and the weight (percent) of each
    rule that is on."""

    enabled: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    weights: dict[str, int] = field(
        default_factory=lambda: {
            name: 100 for name, rule in RULES.items() if rule.enabled_by_default
        }
    )


def decide(score: int, thresholds: Thresholds) -> str:
    """SPEC §9 levels: approve, 3-D Secure, review, block, from the lowest score up."""
    if score >= thresholds.block:
        return Decision.BLOCK
    if score >= thresholds.review:
        return Decision.REVIEW
    if score >= thresholds.three_d_secure:
        return Decision.THREE_D_SECURE
    return Decision.APPROVE


def assess(signals: PaymentSignals, facts: Facts, config: ScreeningConfig) -> Assessment:
    """Score 0-100: the sum of each enabled rule's points times its weight, capped."""
    points: dict[str, int] = {}
    reasons: list[str] = []
    for name, weight in config.weights.items():
        hit = RULES[name].check(signals, facts, config.thresholds)
        if hit is None:
            continue
        weighted = hit.points * weight // 100
        if weighted > 0:
            points[name] = weighted
            reasons.append(hit.reason)
    score = min(100, sum(points.values()))
    return Assessment(
        score=score,
        decision=decide(score, config.thresholds),
        reasons=tuple(reasons),
        points=points,
    )
