# Project manifest: the looker/ directory is the root of the LookML project (copy it, or add it as
# a git subtree, into the repository your Looker project is connected to).

# The Looker connection to the BigQuery project that holds gca_analytics. Change the value here,
# or, when this project is imported into another one, override it there with
# override_constant: CONNECTION_NAME { value: "your_connection" }.
constant: CONNECTION_NAME {
  value: "gca_analytics"
  export: override_optional
}

# The privacy floor of the team views (the default of `gca-analytics report --min-team-size`): a
# team with fewer distinct users than this in the filtered range is shown as "(small teams)" in
# every team dimension (team_floor.team). A constant, not a parameter, so a dashboard viewer
# cannot lower it; override it like CONNECTION_NAME.
constant: MIN_TEAM_SIZE {
  value: "5"
  export: override_optional
}
