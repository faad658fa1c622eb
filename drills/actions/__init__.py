"""One module per drill verb: `pitr`, `full`, `partial`."""
