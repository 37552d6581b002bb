"""sim's Hydra launcher for SLURM: Hydra's submitit launcher with several jobs to one SLURM task
(``hydra/launcher=slurm``). Found by Hydra's plugin discovery, as every ``hydra_plugins.*``."""
