"""When entities buy and how much they mean to spend: BG/NBD purchases with Gamma-Gamma spend.

Each entity buys for the first time at its birth; while alive it buys at rate lambda ~ Gamma(r,
alpha) per week and, after each repeat purchase, drops out with probability p ~ Beta(a, b) (Fader,
Hardie & Lee 2005). Invoice values follow the Gamma-Gamma model: z ~ Gamma(p, nu) with client
mean-spend rate nu ~ Gamma(q, gamma). Because these are the true generating parameters, churn and
CLV models fitted downstream can be scored against them.

Seasonality (a yearly cycle peaking in late November) is a time change: the process runs on an
"operational clock" that ticks faster in Q4, which is exactly an inhomogeneous Poisson process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from . import config

_YEAR_DAYS = 365.25


@dataclass
class Purchases:
    entity: np.ndarray  # per invoice, sorted by entity then time
    time_s: np.ndarray  # epoch seconds, inside the window
    value: np.ndarray  # intended invoice value
    true_parameters: dict
    alive_at_end: float  # share of entities that have not dropped out by the end of the window


def operational_weeks(days: np.ndarray) -> np.ndarray:
    """Seasonal clock in weeks: the integral of 1 + A cos(2 pi (t - peak) / year) from day 0."""
    amp, peak = config.SEASONALITY_AMPLITUDE, config.SEASONALITY_PEAK_DAY_OF_YEAR - 1
    w = 2 * np.pi / _YEAR_DAYS
    return (days + amp / w * (np.sin(w * (days - peak)) + np.sin(w * peak))) / 7.0


def _calendar_days(op_weeks: np.ndarray) -> np.ndarray:
    """Inverse of the seasonal clock, by interpolation on an hourly grid (it is monotone)."""
    span_days = (config.WINDOW_END_S - config.WINDOW_START_S) / config.DAY_S
    grid = np.linspace(0.0, span_days, int(span_days * 24) + 1)
    return np.interp(op_weeks, operational_weeks(grid), grid)


def expected_repeats(t: np.ndarray, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """BG/NBD expected number of repeat purchases in (0, t] (Fader, Hardie & Lee 2005, eq. 9)."""
    z = t / (alpha + t)
    hyp = special.hyp2f1(r, b, a + b - 1, z)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def solve_lambda_scale(exposure_weeks: np.ndarray, invoices_per_entity: float) -> float:
    """Rate multiplier that makes the expected invoices per entity (first + repeats) hit a target.

    Scaling every lambda by s is the same as dividing alpha by s, so the closed-form BG/NBD
    expectation can be solved for s instead of running pilot simulations.
    """
    p = config.BGNBD
    sample = np.quantile(exposure_weeks, np.linspace(0.0025, 0.9975, 200))

    def gap(log_s: float) -> float:
        repeats = expected_repeats(sample, p["r"], p["alpha"] / np.exp(log_s), p["a"], p["b"])
        return 1.0 + float(repeats.mean()) - invoices_per_entity

    lo, hi = np.log(1e-3), np.log(1e3)
    if gap(lo) >= 0:
        return 1e-3
    if gap(hi) <= 0:
        return 1e3
    return float(np.exp(optimize.brentq(gap, lo, hi, xtol=1e-10)))


def _repeat_offsets(rng, rate, exposure, dropout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operational times (weeks after birth) of each entity's repeat purchases, vectorised.

    With K ~ Poisson(lambda S) arrivals in (0, S] and dropout after the J-th repeat (J geometric),
    the observed repeats are the first min(K, J) order statistics of K uniforms on (0, S]. Those
    are S * C_j / (C_n + G), C the cumulative sum of n exponentials and G ~ Gamma(K - n + 1), so
    no more than the purchases actually made are ever drawn.
    """
    arrivals = rng.poisson(rate * exposure)
    until_dropout = rng.geometric(dropout)
    made = np.minimum(arrivals, until_dropout)
    owner = np.repeat(np.arange(made.size), made)
    steps = rng.exponential(1.0, owner.size)
    csum = np.cumsum(steps)
    starts = np.concatenate([[0], np.cumsum(made)[:-1]])
    base = np.where(starts > 0, csum[np.maximum(starts - 1, 0)], 0.0)
    within = csum - base[owner]
    last = np.zeros(made.size)
    has = made > 0
    last[has] = within[starts[has] + made[has] - 1]
    total = last + rng.gamma(arrivals - made + 1.0)
    return owner, exposure[owner] * within / total[owner], until_dropout > arrivals


def _to_timestamps(rng, entity, op_weeks, is_institution) -> np.ndarray:
    """Calendar seconds: seasonal clock -> day, weekday habit, then a preferred hour of day."""
    days = np.floor(_calendar_days(op_weeks)).astype(np.int64)
    last_day = (config.WINDOW_END_S - config.WINDOW_START_S) // config.DAY_S
    weekday = (days + config.WINDOW_START_S // config.DAY_S + 3) % 7  # Monday = 0
    weekend = (weekday >= 5) & is_institution[entity] & (rng.random(days.size) < 0.9)
    to_monday = np.where(weekday == 5, 2, 1)
    shifted = np.where(days + to_monday <= last_day, days + to_monday, days - (weekday - 4))
    days = np.where(weekend, shifted, days)
    preferred = np.where(
        is_institution,
        rng.normal(11, 1.8, is_institution.size),
        rng.normal(16, 3.0, is_institution.size),
    )
    hours = np.clip(np.rint(preferred[entity] + rng.normal(0, 1.3, days.size)), 7, 20)
    seconds = rng.integers(0, 3600, days.size)
    return config.WINDOW_START_S + days * config.DAY_S + hours.astype(np.int64) * 3600 + seconds


def simulate_purchases(rng, birth_s, is_institution, target_invoices: int) -> Purchases:
    """All invoices of all entities, about target_invoices of them, with their intended value."""
    p, gg = config.BGNBD, config.GAMMA_GAMMA
    n = birth_s.size
    end_weeks = operational_weeks(
        np.array([(config.WINDOW_END_S - config.WINDOW_START_S) / config.DAY_S])
    )[0]
    birth_weeks = operational_weeks((birth_s - config.WINDOW_START_S) / config.DAY_S)
    exposure = end_weeks - birth_weeks
    scale = solve_lambda_scale(exposure, target_invoices / n)
    rate = rng.gamma(p["r"], 1.0 / p["alpha"], n) * scale
    dropout = rng.beta(p["a"], p["b"], n)
    spend_rate = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    owner, offsets, alive = _repeat_offsets(rng, rate, exposure, dropout)
    entity = np.concatenate([np.arange(n), owner])
    op_weeks = np.concatenate([birth_weeks, birth_weeks[owner] + offsets])
    order = np.lexsort((op_weeks, entity))
    entity, op_weeks = entity[order], op_weeks[order]
    multiplier = np.where(is_institution, config.INSTITUTION_SPEND_MULTIPLIER, 1.0)[entity]
    value = rng.gamma(gg["p"], 1.0 / spend_rate[entity]) * multiplier
    true_parameters = {
        "bgnbd": {**p, "alpha_effective": p["alpha"] / scale, "time_unit": "weeks"},
        "gamma_gamma": dict(gg),
        "lambda_scale": scale,
        "institution_spend_multiplier": config.INSTITUTION_SPEND_MULTIPLIER,
        "seasonality": {
            "amplitude": config.SEASONALITY_AMPLITUDE,
            "peak_day_of_year": config.SEASONALITY_PEAK_DAY_OF_YEAR,
        },
    }
    return Purchases(
        entity,
        _to_timestamps(rng, entity, op_weeks, is_institution),
        value,
        true_parameters,
        float(alive.mean()),
    )
