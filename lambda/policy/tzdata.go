package policy

// Lambda's provided.al2023 image and minimal containers may ship without a zoneinfo
// database; embedding it keeps time windows evaluable wherever the engine runs.
import _ "time/tzdata"
