"""Scaling: load balancing across workers, reactive (HPA) and predictive autoscaling, worker backends."""
