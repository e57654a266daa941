//go:build linux

package tcpstate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/keepalive-playground/playground/timeline"
)

// Kernel TCP state numbers (include/net/tcp_states.h), by name.
var kernelStates = [...]string{
	unix.BPF_TCP_ESTABLISHED:  timeline.StateEstablished,
	unix.BPF_TCP_SYN_SENT:     timeline.StateSynSent,
	unix.BPF_TCP_SYN_RECV:     timeline.StateSynRecv,
	unix.BPF_TCP_FIN_WAIT1:    timeline.StateFinWait1,
	unix.BPF_TCP_FIN_WAIT2:    timeline.StateFinWait2,
	unix.BPF_TCP_TIME_WAIT:    timeline.StateTimeWait,
	unix.BPF_TCP_CLOSE:        timeline.StateClosed,
	unix.BPF_TCP_CLOSE_WAIT:   timeline.StateCloseWait,
	unix.BPF_TCP_LAST_ACK:     timeline.StateLastAck,
	unix.BPF_TCP_LISTEN:       "LISTEN",
	unix.BPF_TCP_CLOSING:      timeline.StateClosing,
	unix.BPF_TCP_NEW_SYN_RECV: timeline.StateSynRecv,
}

func stateName(n uint8) string {
	if int(n) < len(kernelStates) && kernelStates[n] != "" {
		return kernelStates[n]
	}
	return fmt.Sprintf("TCP_STATE_%d", n)
}

// Held reads the state of a socket the process holds (TCP_INFO). A held
// socket the kernel has moved on from reads CLOSED: after a FIN in
// FIN_WAIT2 the kernel hands the connection to a TIME_WAIT entry of its
// own, which only the table (Lookup) shows.
func Held(rc syscall.RawConn) (string, error) {
	var (
		info *unix.TCPInfo
		err  error
	)
	if cerr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil {
		return "", cerr
	}
	if err != nil {
		return "", fmt.Errorf("getsockopt TCP_INFO: %w", err)
	}
	return stateName(info.State), nil
}

// The netlink messages of inet_diag (include/uapi/linux/inet_diag.h).
type inetDiagSockID struct {
	SPort  [2]byte // big-endian
	DPort  [2]byte
	Src    [16]byte
	Dst    [16]byte
	If     uint32
	Cookie [2]uint32
}

type inetDiagReqV2 struct {
	Family   uint8
	Protocol uint8
	Ext      uint8
	Pad      uint8
	States   uint32
	ID       inetDiagSockID
}

type inetDiagMsg struct {
	Family  uint8
	State   uint8
	Timer   uint8
	Retrans uint8
	ID      inetDiagSockID
	Expires uint32
	RQueue  uint32
	WQueue  uint32
	UID     uint32
	Inode   uint32
}

const (
	sizeofReq = int(unsafe.Sizeof(inetDiagReqV2{}))
	sizeofMsg = int(unsafe.Sizeof(inetDiagMsg{}))
	// noCookie matches any socket (INET_DIAG_NOCOOKIE).
	noCookie = ^uint32(0)
	// recvTimeout bounds a wait for the kernel's answer, which for an
	// exact lookup is queued before sendto returns.
	recvTimeout = 250 * time.Millisecond
)

// Reader looks up ends in the kernel's socket table. It is safe for
// concurrent use. It holds one netlink socket for its life, and lookups
// take turns on it: the kernel answers an exact lookup before sendto
// returns, so a turn lasts microseconds.
type Reader struct {
	mu   sync.Mutex
	sock *nlSocket // nil until first use, and after a failure
	seq  uint32
}

// nlSocket is a netlink socket and its buffers.
type nlSocket struct {
	fd     int
	req    []byte
	answer []byte
}

var (
	sharedOnce sync.Once
	shared     *Reader
	sharedErr  error
)

// Shared is the process's reader, made on first use.
func Shared() (*Reader, error) {
	sharedOnce.Do(func() { shared, sharedErr = New() })
	return shared, sharedErr
}

// New makes a reader and checks that the kernel answers it.
func New() (*Reader, error) {
	r := &Reader{}
	// One lookup of an end that cannot exist proves sock_diag works here.
	var res [1]Result
	probe := End{
		Local:  netipAddrPort([4]byte{127, 0, 0, 1}, 1),
		Remote: netipAddrPort([4]byte{127, 0, 0, 1}, 1),
	}
	if err := r.Lookup([]End{probe}, res[:]); err != nil {
		return nil, fmt.Errorf("%w: the kernel's socket table cannot be read: %v", errors.ErrUnsupported, err)
	}
	return r, nil
}

func openSocket() (*nlSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	return &nlSocket{fd: fd, answer: make([]byte, 8<<10)}, nil
}

// Lookup asks the kernel's table about every end at once (one netlink
// round trip) and fills out[i] for ends[i]. Only IPv4 ends are looked
// up; the demo servers listen on 127.0.0.1.
func (r *Reader) Lookup(ends []End, out []Result) error {
	if len(ends) == 0 {
		return nil
	}
	if len(ends) > MaxBatch || len(out) < len(ends) {
		return fmt.Errorf("lookup of %d ends: at most %d, and as many results", len(ends), MaxBatch)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sock == nil {
		s, err := openSocket()
		if err != nil {
			return err
		}
		r.sock = s
	}
	sock, fd := r.sock, r.sock.fd
	ok := false
	defer func() {
		if !ok {
			// A late answer would confuse the next lookup: start afresh.
			unix.Close(fd)
			r.sock = nil
		}
	}()

	base := r.seq
	r.seq += uint32(len(ends))
	msgLen := unix.SizeofNlMsghdr + sizeofReq
	buf := sock.req[:0]
	for i, e := range ends {
		if !e.Local.Addr().Is4() || !e.Remote.Addr().Is4() {
			return fmt.Errorf("lookup %v: only IPv4 ends", e)
		}
		hdr := unix.NlMsghdr{Len: uint32(msgLen), Type: unix.SOCK_DIAG_BY_FAMILY, Flags: unix.NLM_F_REQUEST, Seq: base + uint32(i)}
		req := inetDiagReqV2{Family: unix.AF_INET, Protocol: unix.IPPROTO_TCP, States: ^uint32(0)}
		req.ID.Cookie = [2]uint32{noCookie, noCookie}
		binary.BigEndian.PutUint16(req.ID.SPort[:], e.Local.Port())
		binary.BigEndian.PutUint16(req.ID.DPort[:], e.Remote.Port())
		l4, r4 := e.Local.Addr().As4(), e.Remote.Addr().As4()
		copy(req.ID.Src[:], l4[:])
		copy(req.ID.Dst[:], r4[:])
		buf = append(buf, unsafe.Slice((*byte)(unsafe.Pointer(&hdr)), unix.SizeofNlMsghdr)...)
		buf = append(buf, unsafe.Slice((*byte)(unsafe.Pointer(&req)), sizeofReq)...)
	}
	sock.req = buf
	if err := unix.Sendto(fd, buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	answered := make([]bool, len(ends))
	left := len(ends)
	rb := sock.answer
	for left > 0 {
		n, _, err := unix.Recvfrom(fd, rb, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(rb[:n])
		if err != nil {
			return fmt.Errorf("netlink parse: %w", err)
		}
		for _, m := range msgs {
			i := int(m.Header.Seq - base)
			if m.Header.Seq < base || i >= len(ends) || answered[i] {
				continue // not ours: an answer a timed-out lookup left behind
			}
			answered[i] = true
			left--
			out[i] = Result{State: timeline.StateClosed}
			switch m.Header.Type {
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return errors.New("netlink: short error message")
				}
				if errno := -int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 && syscall.Errno(errno) != unix.ENOENT {
					return fmt.Errorf("inet_diag lookup: %w", syscall.Errno(errno))
				}
			case unix.SOCK_DIAG_BY_FAMILY:
				if len(m.Data) < sizeofMsg {
					return errors.New("inet_diag: short answer")
				}
				d := (*inetDiagMsg)(unsafe.Pointer(&m.Data[0]))
				if d.State == unix.BPF_TCP_LISTEN || d.ID.DPort == [2]byte{} {
					// The lookup fell back to the listener on the port: the
					// connection's own end is gone.
					continue
				}
				out[i] = Result{State: stateName(d.State)}
				if d.Timer != 0 {
					out[i].Timer = time.Duration(d.Expires) * time.Millisecond
				}
			}
		}
	}
	ok = true
	return nil
}

// Close releases the reader's netlink socket; a later lookup opens
// another.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sock == nil {
		return nil
	}
	err := unix.Close(r.sock.fd)
	r.sock = nil
	return err
}
