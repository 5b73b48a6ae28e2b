# Server agent, as in the Consul docs.
datacenter = "dc1"
data_dir = "/opt/consul"
server = true # 启用服务器模式
bootstrap_expect = 3
retry_join = ["192.168.1.1", "192.168.1.2", "192.168.1.3"]
ports {
  http = -1
  https = 8501
  grpc = 0x2100
}
tls {
  defaults {
    ca_file = "/etc/consul.d/ca.pem"
    verify_incoming = true
  }
  internal_rpc = { verify_server_hostname = true, }
}
performance { raft_multiplier = 1 }
node_meta = { "rack" = "r1" }
