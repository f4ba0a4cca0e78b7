"""Tools beside the app, not part of it: the Siebel activity simulator, the live summary of
`make run`, the CDC demo. They talk to the stack like any client; none imports the Faust app."""
