"""Writes the breast-cancer sample from the copy of the Wisconsin Diagnostic Breast Cancer data that Debian's
python3-sklearn ships. Run with Debian's Python: /usr/bin/python3 data/breast-cancer/make.py

train/benign.csv: 300 benign rows (the normal class: train a model on it); test/all.csv: the other 57 benign rows
and all 212 malignant ones (the anomalies). Columns: id (text, "wdbc-NNN", the row's position in the source),
label (1 malignant, 0 benign), then the 30 measurements in their raw units, named as scikit-learn names them.
The split is a seeded permutation: running this again writes the same files.
"""
import csv
import os

import numpy as np
from sklearn.datasets import load_breast_cancer

data = load_breast_cancer()
names = [n.replace(" ", "_") for n in data.feature_names]
malignant = data.target == 0  # scikit-learn: 0 malignant, 1 benign
order = np.random.default_rng(20261202).permutation(len(data.target))
benign = [i for i in order if not malignant[i]]
train = sorted(benign[:300])
test = sorted(benign[300:] + [i for i in order if malignant[i]])
here = os.path.dirname(os.path.abspath(__file__))
for sub, rows in (("train/benign.csv", train), ("test/all.csv", test)):
    path = os.path.join(here, sub)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["id", "label"] + names)
        for i in rows:
            out.writerow([f"wdbc-{i:03d}", int(malignant[i])] + [repr(float(v)) for v in data.data[i]])
