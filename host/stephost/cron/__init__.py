"""Cron: pure schedule arithmetic (`expression`) and the scheduler that runs steps on it."""
