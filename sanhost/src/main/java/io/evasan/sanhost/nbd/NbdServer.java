package io.evasan.sanhost.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.sanhost.nbd.NbdDescriptor.*;

/**
 * An NBD server on loopback (fixed newstyle handshake, simple replies): each accepted connection
 * negotiates an export by NBD_OPT_GO or NBD_OPT_EXPORT_NAME and then serves NBD_CMD_READ, WRITE
 * (FUA), FLUSH, TRIM and DISC against the export's {@link BlockDevice}. Requests of one connection
 * run concurrently (up to {@link #IN_FLIGHT}); replies are written whole, one at a time.
 *
 * <p>Invariants: a malformed request never throws out of the server: an unknown command, an
 * unaligned or out-of-range request or one with flags it does not know is answered with an error
 * reply (EINVAL, ENOSPC, EOVERFLOW) and the connection goes on; a request with a bad magic (the
 * stream cannot be resynchronised) gets an EINVAL reply for its handle and the connection is
 * closed; DISC closes after every earlier request has been answered.
 */
public final class NbdServer implements AutoCloseable {
    /** Requests of one connection executed at once. */
    public static final int IN_FLIGHT = 16;
    static final int TRANSMISSION_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM;

    /** The exports by name; names may appear while the server runs. */
    public interface Exports {
        /** The export called {@code name} ("" = the default export), or null. */
        BlockDevice find(String name);

        List<String> names();
    }

    private final Exports exports;
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong malformed = new AtomicLong();

    public NbdServer(Exports exports, int port) throws IOException {
        this.exports = exports;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = new Thread(this::acceptLoop, "nbd-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Requests answered with an error because they were malformed (bad magic, unknown command, bad range). */
    public long malformed() {
        return malformed.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "nbd-conn-" + s.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            BlockDevice dev = handshake(in, out);
            if (dev != null) {
                transmission(dev, in, out);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or sent something unusable: this connection ends, the server goes on
        } finally {
            connections.remove(s);
        }
    }

    /** Option haggling; returns the export chosen, or null when the client aborted. */
    private BlockDevice handshake(DataInputStream in, OutputStream out) throws IOException {
        out.write(greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
        out.flush();
        int clientFlags = in.readInt();
        boolean noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            return null; // unknown client flags: the protocol says disconnect
        }
        byte[] hdr = new byte[OPTION_HEADER_LENGTH];
        while (true) {
            in.readFully(hdr);
            OptionHeader h = OptionHeader.decode(hdr);
            if (h.magic() != IHAVEOPT || h.length() < 0 || h.length() > MAX_OPTION_LENGTH) {
                malformed.incrementAndGet();
                return null;
            }
            byte[] data = new byte[h.length()];
            in.readFully(data);
            switch (h.option()) {
                case OPT_EXPORT_NAME -> {
                    BlockDevice d = exports.find(new String(data, StandardCharsets.UTF_8));
                    if (d == null) {
                        return null; // no way to refuse EXPORT_NAME but to close
                    }
                    out.write(exportNameReply(d.size(), TRANSMISSION_FLAGS, noZeroes));
                    out.flush();
                    return d;
                }
                case OPT_GO, OPT_INFO -> {
                    GoRequest g;
                    try {
                        g = GoRequest.decode(data);
                    } catch (IllegalArgumentException e) {
                        malformed.incrementAndGet();
                        reply(out, h.option(), REP_ERR_INVALID, e.getMessage());
                        continue;
                    }
                    BlockDevice d = exports.find(g.name());
                    if (d == null) {
                        reply(out, h.option(), REP_ERR_UNKNOWN, "no export " + g.name());
                        continue;
                    }
                    out.write(optionReply(h.option(), REP_INFO, infoExport(d.size(), TRANSMISSION_FLAGS)));
                    out.write(optionReply(h.option(), REP_INFO, infoBlockSize(d.blockSize(), Math.max(4096, d.blockSize()),
                            d.maxRequest())));
                    out.write(optionReply(h.option(), REP_ACK, new byte[0]));
                    out.flush();
                    if (h.option() == OPT_GO) {
                        return d;
                    }
                }
                case OPT_LIST -> {
                    if (data.length != 0) {
                        reply(out, h.option(), REP_ERR_INVALID, "LIST takes no data");
                        continue;
                    }
                    for (String n : exports.names()) {
                        out.write(optionReply(OPT_LIST, REP_SERVER, serverData(n)));
                    }
                    out.write(optionReply(OPT_LIST, REP_ACK, new byte[0]));
                    out.flush();
                }
                case OPT_ABORT -> {
                    out.write(optionReply(OPT_ABORT, REP_ACK, new byte[0]));
                    out.flush();
                    return null;
                }
                default -> reply(out, h.option(), REP_ERR_UNSUP, "option " + h.option() + " not supported");
            }
        }
    }

    private static void reply(OutputStream out, int option, int type, String message) throws IOException {
        out.write(optionReply(option, type, message.getBytes(StandardCharsets.UTF_8)));
        out.flush();
    }

    private void transmission(BlockDevice dev, DataInputStream in, OutputStream out) throws IOException {
        ExecutorService workers = Executors.newFixedThreadPool(IN_FLIGHT, r -> {
            Thread t = new Thread(r, "nbd-io");
            t.setDaemon(true);
            return t;
        });
        Semaphore slots = new Semaphore(IN_FLIGHT);
        byte[] hdr = new byte[REQUEST_LENGTH];
        try {
            while (true) {
                try {
                    in.readFully(hdr);
                } catch (EOFException e) {
                    return;
                }
                Request r = Request.decode(hdr);
                if (r.magic() != REQUEST_MAGIC) {
                    malformed.incrementAndGet();
                    send(out, SimpleReply.encode(EINVAL, r.handle()), null);
                    return;
                }
                if (r.type() == CMD_DISC) {
                    return;
                }
                byte[] payload = null;
                if (r.type() == CMD_WRITE) {
                    if (r.length() > dev.maxRequest()) {
                        malformed.incrementAndGet();
                        send(out, SimpleReply.encode(EOVERFLOW, r.handle()), null);
                        return; // the data cannot be skipped safely
                    }
                    payload = new byte[(int) r.length()];
                    in.readFully(payload);
                }
                int error = check(dev, r);
                if (error != 0) {
                    malformed.incrementAndGet();
                    send(out, SimpleReply.encode(error, r.handle()), null);
                    continue;
                }
                byte[] data = payload;
                slots.acquireUninterruptibly();
                workers.execute(() -> {
                    try {
                        execute(dev, r, data, out);
                    } finally {
                        slots.release();
                    }
                });
            }
        } finally {
            workers.shutdown();
            try {
                workers.awaitTermination(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** 0 when {@code r} may run, else the errno of its error reply. */
    static int check(BlockDevice dev, Request r) {
        if (r.type() != CMD_READ && r.type() != CMD_WRITE && r.type() != CMD_FLUSH && r.type() != CMD_TRIM) {
            return EINVAL;
        }
        if ((r.flags() & ~CMD_FLAG_FUA) != 0) {
            return EINVAL;
        }
        if (r.type() == CMD_FLUSH) {
            return r.offset() == 0 && r.length() == 0 ? 0 : EINVAL;
        }
        long bs = dev.blockSize();
        if (r.offset() < 0 || r.offset() % bs != 0 || r.length() % bs != 0) {
            return EINVAL;
        }
        if (r.type() != CMD_TRIM && r.length() > dev.maxRequest()) {
            return EOVERFLOW;
        }
        if (r.offset() + r.length() > dev.size()) {
            return r.type() == CMD_WRITE ? ENOSPC : EINVAL;
        }
        return 0;
    }

    private static void execute(BlockDevice dev, Request r, byte[] data, OutputStream out) {
        byte[] read = null;
        int error = 0;
        try {
            switch (r.type()) {
                case CMD_READ -> read = dev.read(r.offset(), (int) r.length());
                case CMD_WRITE -> dev.write(r.offset(), data, (r.flags() & CMD_FLAG_FUA) != 0);
                case CMD_FLUSH -> dev.flush();
                case CMD_TRIM -> dev.trim(r.offset(), r.length());
                default -> error = EINVAL;
            }
        } catch (BlockIoException e) {
            error = e.errno();
        } catch (RuntimeException e) {
            error = EIO;
        }
        try {
            send(out, SimpleReply.encode(error, r.handle()), error == 0 ? read : null);
        } catch (IOException e) {
            // the connection is gone; its reader ends it
        }
    }

    private static void send(OutputStream out, byte[] header, byte[] data) throws IOException {
        synchronized (out) {
            out.write(header);
            if (data != null) {
                out.write(data);
            }
            out.flush();
        }
    }

    /** The connections open now (for tests). */
    public int connections() {
        return connections.size();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : new ArrayList<>(connections)) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
