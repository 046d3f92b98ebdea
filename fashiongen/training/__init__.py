"""PyTorch side of fashiongen: datasets, networks, losses and trainers."""
