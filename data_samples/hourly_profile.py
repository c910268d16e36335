"""Arrivals by local hour, one profile for the bundled samples (generate.py) and the volume bench
(bench/generate_volume.py), so the bench's England-scale feeds keep the shape the samples were calibrated with.

The bundled sample files were made with these weights: changing one changes every file under landing/.
"""

import numpy as np

# Relative weights: quiet overnight, busiest late morning to evening.
HOURLY = np.array(
    [2.2, 1.8, 1.5, 1.3, 1.2, 1.3, 2.0, 3.2, 4.8, 6.0, 6.6, 6.6]  # midnight to 11:00
    + [6.4, 6.2, 6.0, 5.9, 5.8, 5.8, 5.6, 5.2, 4.6, 4.0, 3.4, 2.8]  # noon to 23:00
)
HOURLY = HOURLY / HOURLY.sum()
