# Project manifest: the looker/ directory is the root of the LookML project (copy it, or add it as
# a git subtree, into the repository your Looker project is connected to).

# The Looker connection to the BigQuery project that holds gca_analytics. Change the value here,
# or, when this project is imported into another one, override it there with
# override_constant: CONNECTION_NAME { value: "your_connection" }.
constant: CONNECTION_NAME {
  value: "gca_analytics"
  export: override_optional
}
