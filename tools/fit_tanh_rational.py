#!/usr/bin/env python3
"""Fits tanh(x) ~ x N(x^2) / D(x^2) on [0, HOLD] for least relative error.

N has NUMERATOR coefficients, D is 1 + d1 t + ... + dDENOMINATOR t^DENOMINATOR.
Sanathanan-Koerner iterations (each a linear least-squares problem weighted
by the last denominator), then Lawson's reweighting toward the minimax fit,
all in 60-digit decimals so that the normal equations stay exact enough.
Prints the worst relative error over the sample points and the coefficients
in the order tanhAvx512 (accelerators/cpu/avx512_intrinsics.h) uses them.

    tools/fit_tanh_rational.py [NUMERATOR DENOMINATOR]    (default 6 3)
"""
import math
import sys
from decimal import Decimal, getcontext

getcontext().prec = 60
HOLD = 9.0  # past it tanh rounds to 1 in float
POINTS = 1500
ITERATIONS = 40


def exact_tanh(x):
    e = (2 * Decimal(x)).exp()
    return (e - 1) / (e + 1)


def solve(matrix, rhs):
    """Gauss-Jordan elimination with partial pivoting."""
    n = len(rhs)
    rows = [row[:] + [b] for row, b in zip(matrix, rhs)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(rows[r][c]))
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(n):
            if r != c and rows[r][c] != 0:
                factor = rows[r][c] / rows[c][c]
                for k in range(c, n + 1):
                    rows[r][k] -= factor * rows[c][k]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def main():
    numerator, denominator = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (6, 3)
    # Chebyshev points: dense near both ends of [0, HOLD].
    xs = [HOLD * (1 - math.cos(math.pi * (i + 0.5) / POINTS)) / 2 for i in range(POINTS)]
    xs = [x for x in xs if x > 1e-6]
    ys = [exact_tanh(x) for x in xs]
    scale = Decimal(HOLD * HOLD)  # t / scale in [0, 1] keeps the powers comparable
    ts = [Decimal(x) * Decimal(x) / scale for x in xs]
    last_denominator = [Decimal(1)] * len(xs)
    lawson = [Decimal(1)] * len(xs)
    best = None
    for iteration in range(ITERATIONS):
        # Least squares of (x N(t) - y D(t)) / (y D_last(t)): the relative error, linearised.
        rows, rhs = [], []
        for x, y, t, last, weight in zip(xs, ys, ts, last_denominator, lawson):
            w = weight.sqrt() / (last * y)
            rows.append([w * Decimal(x) * t ** k for k in range(numerator)] + [-w * y * t ** (k + 1) for k in range(denominator)])
            rhs.append(w * y)
        unknowns = numerator + denominator
        normal = [[sum(r[a] * r[b] for r in rows) for b in range(unknowns)] for a in range(unknowns)]
        right = [sum(r[a] * v for r, v in zip(rows, rhs)) for a in range(unknowns)]
        solution = solve(normal, right)
        n, d = solution[:numerator], solution[numerator:]
        errors = []
        for i, (x, y, t) in enumerate(zip(xs, ys, ts)):
            top = sum(c * t ** k for k, c in enumerate(n))
            bottom = 1 + sum(c * t ** (k + 1) for k, c in enumerate(d))
            last_denominator[i] = bottom
            errors.append(abs(Decimal(x) * top / bottom - y) / y)
        worst = max(errors)
        if best is None or worst < best[0]:
            best = (worst, n, d)
        if iteration >= 4:  # Lawson: weight each point by its error
            total = sum(w * e for w, e in zip(lawson, errors))
            lawson = [w * e / total * len(xs) for w, e in zip(lawson, errors)]
    worst, n, d = best
    print(f"worst relative error {float(worst):.3g} over [0, {HOLD}]")
    print("numerator, t^0 up:", ", ".join(repr(float(c / scale ** k)) for k, c in enumerate(n)))
    print("denominator, t^0 up:", ", ".join(["1.0"] + [repr(float(c / scale ** (k + 1))) for k, c in enumerate(d)]))


if __name__ == "__main__":
    main()
