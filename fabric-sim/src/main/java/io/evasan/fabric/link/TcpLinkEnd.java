package io.evasan.fabric.link;

import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.FrameFormatException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One end of a link carried by a TCP connection: the byte stream is a sequence of encapsulated
 * frames ({@link EncapsulationDescriptor}), each found by the length in its encapsulation header.
 * A reader thread delivers what arrives; a writer thread sends, so {@link #send} never blocks on
 * the peer. Invariants: a stream whose encapsulation header does not check cannot be
 * resynchronised, so the connection is closed and the end goes down (counted in {@link
 * #streamErrors()}); each connection reports {@code linkDown} at most once; frames sent while no
 * connection is attached are lost.
 */
public final class TcpLinkEnd implements LinkEnd {
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
        ByteBuffer buf = ByteBuffer.wrap(encapsulated.clone());
        Runnable write = () -> c.write(buf);
        long delay = outbound.delayMillis();
        try {
            if (delay > 0) {
                writer.schedule(write, delay, TimeUnit.MILLISECONDS);
            } else {
                writer.execute(write);
            }
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

        void write(ByteBuffer buf) {
            if (closed) {
                return;
            }
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (IOException e) {
                close();
            }
        }

        void readLoop() {
            try {
                while (!closed) {
                    byte[] head = new byte[EncapsulationDescriptor.HEADER_LENGTH];
                    if (!readFully(head, 0)) {
                        break;
                    }
                    int total;
                    try {
                        total = EncapsulationDescriptor.totalLength(head);
                    } catch (FrameFormatException e) {
                        streamErrors.incrementAndGet();
                        break;
                    }
                    byte[] whole = new byte[total];
                    System.arraycopy(head, 0, whole, 0, head.length);
                    if (!readFully(whole, head.length)) {
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
