"""The baselines of bench/anomaly-scores.sh: PCA reconstruction error and IsolationForest (scikit-learn), AUROC of
anomalies against normal rows, on the one-class Fashion-MNIST protocol (train on one class's training images, score
the 10,000 test images, that class normal) and on the committed breast-cancer table (fitted on the benign training
rows, standardized; malignant test rows are the anomalies). Run with Debian's Python and python3-sklearn:
/usr/bin/python3 bench/anomaly-baselines.py [FASHION_MNIST_DIR] [CLASSES]   (default /usr/share/datasets/fashion-mnist,
0,1,...,9)
"""
import csv
import gzip
import os
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def idx(path, header, shape):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header).reshape(shape)


def scores(train, test):
    pca = PCA(16, random_state=0).fit(train)
    error = ((test - pca.inverse_transform(pca.transform(test))) ** 2).sum(1)
    forest = -IsolationForest(random_state=0).fit(train).score_samples(test)
    return error, forest


def fashion_mnist(directory, classes):
    x = idx(os.path.join(directory, "train-images-idx3-ubyte.gz"), 16, (-1, 784)) / 255.0
    y = idx(os.path.join(directory, "train-labels-idx1-ubyte.gz"), 8, (-1,))
    tx = idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), 16, (-1, 784)) / 255.0
    ty = idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"), 8, (-1,))
    rows = []
    for c in classes:
        error, forest = scores(x[y == c], tx)
        anomaly = ty != c
        rows.append((f"class {c}", roc_auc_score(anomaly, error), roc_auc_score(anomaly, forest)))
    rows.append(("mean", np.mean([r[1] for r in rows]), np.mean([r[2] for r in rows])))
    return rows


def breast_cancer():
    def load(name):
        with open(os.path.join(ROOT, "data", "breast-cancer", name)) as f:
            rows = list(csv.reader(f))[1:]
        return np.array([[float(v) for v in r[2:]] for r in rows]), np.array([int(r[1]) for r in rows])

    train, _ = load("train/benign.csv")
    test, labels = load("test/all.csv")
    scaler = StandardScaler().fit(train)
    error, forest = scores(scaler.transform(train), scaler.transform(test))
    return [("breast-cancer", roc_auc_score(labels, error), roc_auc_score(labels, forest))]


directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
classes = [int(c) for c in sys.argv[2].split(",")] if len(sys.argv) > 2 else list(range(10))
print("\n| normal | AUROC PCA(16) squared error | AUROC IsolationForest |\n| --- | ---: | ---: |")
for name, pca, forest in fashion_mnist(directory, classes) + breast_cancer():
    print(f"| {name} | {pca:.3f} | {forest:.3f} |")
