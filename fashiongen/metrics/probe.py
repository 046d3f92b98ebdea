"""Linear probe: multinomial logistic regression on standardised features, trained on the train split."""

from __future__ import annotations

import numpy as np
import torch


class LinearProbe:
    def __init__(self, features: np.ndarray, labels: np.ndarray, num_classes: int, epochs: int = 300,
                 weight_decay: float = 1e-3, seed: int = 0):
        torch.manual_seed(seed)
        self.mean, self.std = features.mean(0), features.std(0) + 1e-6
        x = torch.from_numpy((features - self.mean) / self.std).float()
        y = torch.from_numpy(labels).long()
        self.layer = torch.nn.Linear(x.shape[1], num_classes)
        optimizer = torch.optim.LBFGS(self.layer.parameters(), max_iter=epochs, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(self.layer(x), y) + weight_decay * self.layer.weight.pow(2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)

    @torch.no_grad()
    def predict(self, features: np.ndarray) -> np.ndarray:
        x = torch.from_numpy((features - self.mean) / self.std).float()
        return self.layer(x).argmax(1).numpy()

    def accuracy(self, features: np.ndarray, labels: np.ndarray) -> float:
        return float((self.predict(features) == labels).mean()) if len(labels) else float("nan")
