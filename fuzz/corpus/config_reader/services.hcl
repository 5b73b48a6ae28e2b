service {
  name = "web"
  tags = ["primary", "v1",]
  port = 9000
  check {
    http = "http://localhost:9000/health"
    interval = "10s"
  }
  check { tcp = "localhost:9000", interval = 5.5e0 }
}
service "db" "primary" { port = 5432 }
/* block comment */ watches = [{ type = "key", key = "a/b", handler_type = "script",
  args = ["/bin/echo", "\u00e9\t\"x\""] }]
script = <<-EOT
    #!/bin/sh
    echo "hi"
    EOT
raw = <<EOF
line
EOF
