/**
 * One process per source for all its pings: a Perl script (Perl is on every Debian host, it
 * is Essential there, and on most others) that sends ICMP echoes to every target from a raw
 * socket in the source's network namespace and reads the replies until all have answered or
 * the timeout has passed. On this project's 2-core VM one process costs about 12 ms of CPU,
 * so a process per pair (about 6,300 at 40 hosts) was the whole time of a check.
 *
 * Arguments: TIMEOUT COUNT INDEX=ADDRESS...; prints "INDEX CODE [ERROR]" per target with the
 * codes ping uses: 0 a reply, 1 no reply, 2 an error on the way (no route), 126 could not start.
 * It waits up to TIMEOUT for each next reply (as ping waits TIMEOUT for each of its own).
 * Only modules of Debian's perl-base (Essential: on every Debian host) are used: Socket.
 * Only the addresses lab put in the arguments are ever read back: a reply from elsewhere,
 * or to another prober (another id), is ignored.
 */
export const ICMP_PROBER = String.raw`use strict; use Socket qw(:all);
my ($timeout, $count, @targets) = @ARGV;
my $id = $$ & 0xffff; my (%sock, %want, %code, %err);
sub csum { my $d = shift; $d .= "\0" if length($d) % 2; my $s = 0; $s += $_ for unpack("n*", $d);
  $s = ($s >> 16) + ($s & 0xffff) while $s >> 16; return ~$s & 0xffff; }
for my $t (@targets) {
  my ($i, $a) = split /=/, $t, 2; $code{$i} = 1;
  my $v6 = index($a, ":") >= 0; my $fam = $v6 ? AF_INET6 : AF_INET;
  if (!$sock{$fam}) { socket(my $s, $fam, SOCK_RAW, $v6 ? 58 : 1) or do { $code{$i} = 126; $err{$i} = "socket: $!"; next };
    # Only echo replies are queued (a raw socket gets every ICMP packet: the echoes other sources
    # send here would fill its buffer and drop replies), in a buffer for thousands of them.
    setsockopt($s, $v6 ? 58 : 255, 1, $v6 ? pack("L8", map { $_ == 4 ? 0xfffffffd : 0xffffffff } 0 .. 7) : pack("L", 0xfffffffe));
    setsockopt($s, SOL_SOCKET, 33, 4 << 20) or setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4 << 20);
    $sock{$fam} = $s; }
  my $bin = inet_pton($fam, $a); defined $bin or do { $code{$i} = 2; $err{$i} = "bad address"; next };
  my $to = $v6 ? pack_sockaddr_in6(0, $bin) : pack_sockaddr_in(0, $bin); $want{$fam}{$bin} = $i;
  for my $k (1 .. $count) {
    my $pkt = pack("CCnnn", $v6 ? 128 : 8, 0, 0, $id, ($i * 16 + $k) & 0xffff) . "lab-check";
    substr($pkt, 2, 2) = pack("n", csum($pkt)) unless $v6;
    send($sock{$fam}, $pkt, 0, $to) or do { $code{$i} = 2; $err{$i} = "$!"; last };
  }
  # Paced a little: every first packet asks ARP for its neighbour, and macvlan queues at most
  # 1,000 broadcasts; a burst from every source at once would lose some.
  select(undef, undef, undef, 0.002);
}
# Wait up to TIMEOUT for each next reply (when every source of a big lab resolves its
# neighbours at once, replies come in waves), never much more than 10 x TIMEOUT in all.
# Replies already queued count even when this process ran late on a busy machine.
my $hard = time + 10 * $timeout + 1;
while (grep({ $_ == 1 } values %code) && time <= $hard) {
  my $rin = ""; vec($rin, fileno($_), 1) = 1 for values %sock;
  select(my $rout = $rin, undef, undef, $timeout) > 0 or last;
  for my $fam (keys %sock) {
    next unless vec($rout, fileno($sock{$fam}), 1);
    my $from = recv($sock{$fam}, my $buf, 2048, 0); next unless defined $from && length $buf >= 8;
    my ($type, $rid, $addr);
    if ($fam == AF_INET) { my $ihl = (ord($buf) & 15) * 4; next if length $buf < $ihl + 8;
      ($type, $rid) = unpack("C x3 n", substr($buf, $ihl)); next unless $type == 0; (undef, $addr) = unpack_sockaddr_in($from); }
    else { ($type, $rid) = unpack("C x3 n", $buf); next unless $type == 129; (undef, $addr) = unpack_sockaddr_in6($from); }
    next unless $rid == $id; my $i = $want{$fam}{$addr};
    $code{$i} = 0 if defined $i && $code{$i} == 1;
  }
}
print "$_ $code{$_}", (defined $err{$_} ? " $err{$_}" : ""), "\n" for sort { $a <=> $b } keys %code;`;
