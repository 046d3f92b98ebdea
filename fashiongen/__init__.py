"""fashiongen: AI-assisted fashion ideation (trend sampling and garment restyling).

The serving modules (images, runtime, trends, restyle, patterns, garment_mask) need no torch;
``fashiongen.training`` and ``fashiongen.metrics`` hold the PyTorch side.
"""
