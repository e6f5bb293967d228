package io.evasan.fabric.link;

import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.FrameFormatException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One end of a link carried by a TCP connection: the byte stream is a sequence of encapsulated
 * frames ({@link EncapsulationDescriptor}), each found by the length in its encapsulation header.
 * A reader thread delivers what arrives (read in 64 KiB chunks); {@link #send} copies the frame
 * into the connection's send buffer and a sender thread writes all frames gathered there in one
 * socket write, so {@link #send} never blocks on the peer and frames keep their order (delayed
 * frames, a fault, join the buffer when their delay ends). Invariants: a stream whose encapsulation header does not check cannot be
 * resynchronised, so the connection is closed and the end goes down (counted in {@link
 * #streamErrors()}); each connection reports {@code linkDown} at most once; frames sent while no
 * connection is attached are lost.
 */
public final class TcpLinkEnd implements LinkEnd {
    private static final int INITIAL_BUFFER = 64 * 1024;
    private static final int MAX_KEPT_BUFFER = 4 * 1024 * 1024;
    private static final int READ_BUFFER = 64 * 1024;
    private final String name;
    private final LinkFaults outbound;
    private final ScheduledExecutorService writer;
    private final AtomicLong streamErrors = new AtomicLong();
    private volatile Receiver receiver;
    private volatile Connection connection;

    public TcpLinkEnd(String name, LinkFaults outbound) {
        this.name = name;
        this.outbound = outbound;
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to a switch port listening at {@code address} (a {@code SwitchListener}) and returns
     * the attached end, with no faults. Frames that arrive before a receiver is installed are
     * lost; the switch sends nothing before the port's FLOGI.
     */
    public static TcpLinkEnd connect(String name, InetSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        ch.socket().setTcpNoDelay(true);
        TcpLinkEnd end = new TcpLinkEnd(name, new LinkFaults());
        end.attach(ch, false);
        return end;
    }

    /** Starts carrying frames over {@code channel} (connected, blocking); reports {@code linkUp} when {@code announce}. */
    public synchronized void attach(SocketChannel channel, boolean announce) {
        detach();
        Connection c = new Connection(channel);
        connection = c;
        if (announce) {
            Receiver r = receiver;
            if (r != null) {
                r.linkUp();
            }
        }
        Thread t = new Thread(c::readLoop, name + "-reader");
        t.setDaemon(true);
        t.start();
        Thread w = new Thread(c::writeLoop, name + "-sender");
        w.setDaemon(true);
        w.start();
    }

    /** Closes the current connection, if any; its reader reports {@code linkDown}. */
    public synchronized void detach() {
        Connection c = connection;
        if (c != null) {
            c.close();
        }
    }

    /** Connections closed because the peer sent an encapsulation that does not decode. */
    public long streamErrors() {
        return streamErrors.get();
    }

    @Override
    public void send(byte[] encapsulated) {
        Connection c = connection;
        if (c == null || c.closed || outbound.decide()) {
            return;
        }
        long delay = outbound.delayMillis();
        if (delay <= 0) {
            c.enqueue(encapsulated);
            return;
        }
        byte[] copy = encapsulated.clone();
        try {
            writer.schedule(() -> c.enqueue(copy), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // the end is closed: the frame is lost, as on a pulled cable
        }
    }

    @Override
    public void receiver(Receiver r) {
        receiver = r;
    }

    @Override
    public boolean isUp() {
        Connection c = connection;
        return c != null && !c.closed;
    }

    public void close() {
        detach();
        writer.shutdownNow();
    }

    private final class Connection {
        final SocketChannel channel;
        volatile boolean closed;
        private boolean reported;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        /*
         * The frames sent and not yet written, back to back, in the order sent: send() copies into
         * this buffer (no task, no allocation per frame) and the sender thread writes everything
         * that has gathered in one socket write, so a burst of 2 KiB FCP_DATA frames costs a few
         * system calls. Guarded by "this"; the sender swaps it with its spare buffer.
         */
        private byte[] pending = new byte[INITIAL_BUFFER];
        private int pendingLength;
        private byte[] spare = new byte[INITIAL_BUFFER];

        synchronized void enqueue(byte[] frame) {
            if (closed) {
                return;
            }
            int need = pendingLength + frame.length;
            if (need > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(need, pending.length * 2));
            }
            System.arraycopy(frame, 0, pending, pendingLength, frame.length);
            pendingLength = need;
            if (need == frame.length) {
                notifyAll();
            }
        }

        void writeLoop() {
            try {
                while (true) {
                    byte[] out;
                    int length;
                    synchronized (this) {
                        while (pendingLength == 0 && !closed) {
                            wait();
                        }
                        if (closed) {
                            return;
                        }
                        out = pending;
                        length = pendingLength;
                        pending = spare.length > MAX_KEPT_BUFFER ? new byte[INITIAL_BUFFER] : spare;
                        pendingLength = 0;
                    }
                    ByteBuffer buf = ByteBuffer.wrap(out, 0, length);
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                    spare = out;
                }
            } catch (IOException e) {
                close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void readLoop() {
            ByteBuffer in = ByteBuffer.allocate(READ_BUFFER).flip(); // read mode, empty
            byte[] head = new byte[EncapsulationDescriptor.HEADER_LENGTH];
            try {
                while (!closed) {
                    if (!fill(in, head.length)) {
                        break;
                    }
                    in.get(in.position(), head);
                    int total;
                    try {
                        total = EncapsulationDescriptor.totalLength(head);
                    } catch (FrameFormatException e) {
                        streamErrors.incrementAndGet();
                        break;
                    }
                    byte[] whole = new byte[total];
                    int have = Math.min(total, in.remaining());
                    in.get(whole, 0, have);
                    if (have < total && !readFully(whole, have)) {
                        break;
                    }
                    Receiver r = receiver;
                    if (r != null) {
                        r.received(whole);
                    }
                }
            } catch (IOException e) {
                // the connection is gone: reported below as link down
            }
            close();
        }

        /** Until {@code in} (in read mode) holds at least {@code n} bytes; false at end of stream. */
        private boolean fill(ByteBuffer in, int n) throws IOException {
            if (in.remaining() >= n) {
                return true;
            }
            in.compact();
            try {
                while (in.position() < n) {
                    if (channel.read(in) < 0) {
                        return false;
                    }
                }
            } finally {
                in.flip();
            }
            return true;
        }

        private boolean readFully(byte[] b, int from) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, from, b.length - from);
            while (buf.hasRemaining()) {
                if (channel.read(buf) < 0) {
                    return false;
                }
            }
            return true;
        }

        void close() {
            closed = true;
            synchronized (this) {
                notifyAll();
            }
            try {
                channel.close();
            } catch (IOException e) {
                // already closed
            }
            boolean report;
            synchronized (this) {
                report = !reported;
                reported = true;
            }
            Receiver r = receiver;
            if (report && r != null) {
                r.linkDown();
            }
        }
    }
}
