"""Anomaly-score baselines on the committed breast-cancer sample, for the figure beside ours in bench/RESULTS.md:
PCA reconstruction error and IsolationForest, both fitted on the standardized benign training rows, AUROC of
malignant (label 1) vs benign on data/breast-cancer/test. Run with Debian's Python and python3-sklearn:
/usr/bin/python3 bench/tabular-baselines.py
"""
import csv
import os

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "breast-cancer")


def load(name):
    with open(os.path.join(DATA, name)) as f:
        rows = list(csv.reader(f))[1:]
    return np.array([[float(v) for v in r[2:]] for r in rows]), np.array([int(r[1]) for r in rows])


train, _ = load("train/benign.csv")
test, labels = load("test/all.csv")
scaler = StandardScaler().fit(train)
a, b = scaler.transform(train), scaler.transform(test)
for k in (2, 4, 8):
    pca = PCA(k).fit(a)
    error = ((b - pca.inverse_transform(pca.transform(b))) ** 2).sum(1)
    print(f"PCA({k}) squared reconstruction error: AUROC {roc_auc_score(labels, error):.4f}")
forest = IsolationForest(random_state=0).fit(a)
print(f"IsolationForest: AUROC {roc_auc_score(labels, -forest.score_samples(b)):.4f}")
