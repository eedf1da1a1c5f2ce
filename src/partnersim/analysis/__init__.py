"""Analysis layer: statistics, paired comparisons, experiment designs, sensitivity."""
