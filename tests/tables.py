"""Generated CSV tables for the command-line tests: a credit-scoring table
like R's ``modeldata::credit_data`` and small mixed tables."""

import numpy as np
import pandas as pd

CREDIT_COLUMNS = ["Status", "Seniority", "Home", "Time", "Age", "Marital", "Records",
                  "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"]


def credit_frame(n=4454, seed=0):
    """A table shaped like R's ``credit_data``: 4,454 loans, text and gaps.

    The status depends on the records, the job, the income, the seniority
    and the amount against the price, so a model can learn it. The gaps
    follow the original's counts (Income 381, Assets 47, Debt 18, Home 6,
    Job 2, Marital 1).
    """
    rng = np.random.default_rng(seed)
    home = rng.choice(["rent", "owner", "parents", "priv", "other", "ignore"], n,
                      p=[0.22, 0.47, 0.17, 0.05, 0.07, 0.02])
    marital = rng.choice(["married", "single", "separated", "widow", "divorced"], n,
                         p=[0.73, 0.22, 0.03, 0.015, 0.005])
    records = rng.choice(["no", "yes"], n, p=[0.83, 0.17])
    job = rng.choice(["fixed", "freelance", "partime", "others"], n,
                     p=[0.63, 0.23, 0.10, 0.04])
    seniority = rng.integers(0, 49, n)
    time = rng.choice([12, 18, 24, 36, 48, 60], n)
    age = rng.integers(18, 69, n)
    expenses = rng.integers(35, 181, n)
    income = np.round(rng.lognormal(4.8, 0.5, n)).astype(float)
    assets = np.round(rng.exponential(5000, n), -2)
    debt = np.where(rng.random(n) < 0.8, 0.0, np.round(rng.exponential(1500, n)))
    price = rng.integers(105, 11141, n)
    amount = np.minimum(price, rng.integers(100, 5001, n))
    logit = (-1.6 + 2.0 * (records == "no") - 1.5 * (job == "partime") + 0.04 * seniority
             + 1.2 * (income - 130) / 60 - 2.5 * (amount / price - 0.7))
    status = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "good", "bad")
    frame = pd.DataFrame(dict(
        Status=status, Seniority=seniority, Home=home, Time=time, Age=age,
        Marital=marital, Records=records, Job=job, Expenses=expenses, Income=income,
        Assets=assets, Debt=debt, Amount=amount, Price=price,
    ))
    frame = frame.astype({"Home": object, "Marital": object, "Job": object})
    for column, gaps in (("Income", 381), ("Assets", 47), ("Debt", 18), ("Home", 6),
                         ("Job", 2), ("Marital", 1)):
        frame.loc[rng.choice(n, gaps, replace=False), column] = np.nan
    return frame


def write_like_r(frame, path):
    """Write ``frame`` as R's write.csv does: names and texts quoted, gaps as NA."""
    def cell(value):
        if isinstance(value, str):
            return '"' + value.replace('"', '""') + '"'
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "NA"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    with open(path, "w", newline="") as f:
        f.write(",".join(f'"{c}"' for c in frame.columns) + "\n")
        for row in frame.itertuples(index=False):
            f.write(",".join(cell(v) for v in row) + "\n")
    return str(path)


def mixed_frame(n=300, seed=0):
    """A small table of numbers, text (one text holding the delimiter) and gaps,
    whose class depends on both kinds of column."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue, dark"], n)
    city = rng.choice(["Oslo", "Lyon", "Porto"], n)
    score = size + 1.5 * (color == "red") - 1.5 * (color == "blue, dark")
    label = np.where(score + 0.3 * rng.normal(size=n) > 0, "yes", "no")
    frame = pd.DataFrame(dict(id=[f"r{i:04d}" for i in range(n)], size=size, color=color,
                              city=city, weight=rng.uniform(1, 3, n), label=label))
    frame = frame.astype({"color": object, "city": object})
    frame.loc[rng.choice(n, 7, replace=False), "size"] = np.nan
    frame.loc[rng.choice(n, 4, replace=False), "color"] = np.nan
    return frame
