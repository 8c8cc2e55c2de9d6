from flowscan.cli import console

console()
