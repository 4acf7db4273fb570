import socket,time,sys
s=socket.create_connection(('127.0.0.1',21451)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.recv(4096); s.sendall(b'CONNECT {"verbose":false}\r\n')
n=0; end=time.time()+float(sys.argv[1]); think=float(sys.argv[2])
while time.time()<end:
    s.sendall(b'PING\r\n'); b=s.recv(64); n+=1
    if think: time.sleep(think)
print(n)
