"""A cohort's life from the class list: start it, open the individual CRMs, regroup it."""
