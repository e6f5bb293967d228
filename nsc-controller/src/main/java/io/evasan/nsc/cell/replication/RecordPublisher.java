package io.evasan.nsc.cell.replication;

import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.cell.CellRecordDescriptor;
import io.evasan.nsc.cell.CommandLog;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The owner's side of record replication: every record its {@link CommandLog} commits is kept until the partner
 * has acknowledged applying it, and sent to the partner's address on the event bus in batches, one batch in
 * flight at a time. The event bus is best-effort (it loses messages to a dying or unreachable node and gives no
 * order across reconnects), so ordering and delivery are this class's: a batch that gets no acknowledgement in
 * time is sent again from the first unacknowledged record (go-back-N); the partner drops what it already applied.
 *
 * <p>Invariants: records leave in sequence order and are dropped only once acknowledged; {@link #acked()} only
 * grows; once the partner reports {@link ReplicationDescriptor.Status#DIVERGED}, nothing more is sent and
 * {@link #diverged()} says so (the partner's copy can no longer be trusted: it must be reinstalled). The log's
 * subscriber only enqueues (it runs under the log's lock); all sending happens on this publisher's Vert.x context.
 */
public final class RecordPublisher implements AutoCloseable {
    private final Vertx vertx;
    private final Context context;
    private final String address;
    private final int maxBatch;
    private final long timeoutMillis;
    /** One committed record, encoded, until the partner acknowledges it. */
    private record Pending(long seq, byte[] bytes) {
    }

    /** Records not yet acknowledged, oldest first; guarded by {@code this}. */
    private final ArrayDeque<Pending> unacked = new ArrayDeque<>();
    private volatile long acked;
    private volatile long published;
    private volatile boolean diverged;
    private volatile boolean closed;
    private long resends;
    /** Whether a batch is in flight; touched on {@code context} only. */
    private boolean inFlight;

    /**
     * Follows {@code log} from now on; {@code acked} starts at the log's last sequence number (the partner's copy
     * is installed as of that record).
     */
    public RecordPublisher(Vertx vertx, String address, CommandLog log, int maxBatch, long timeoutMillis) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.context = vertx.getOrCreateContext();
        this.address = Objects.requireNonNull(address, "address");
        if (maxBatch < 1 || timeoutMillis < 1) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + ", timeout " + timeoutMillis + " ms");
        }
        this.maxBatch = maxBatch;
        this.timeoutMillis = timeoutMillis;
        synchronized (log) {   // no record between the base and the subscription
            this.acked = log.lastSeq();
            this.published = acked;
            log.subscribe(this::committed);
        }
    }

    private void committed(CellRecord.Committed c) {
        byte[] bytes = CellRecordDescriptor.encode(c);
        synchronized (this) {
            unacked.addLast(new Pending(c.seq(), bytes));
            published = c.seq();
        }
        context.runOnContext(v -> pump());
    }

    /** Sends the next batch if none is in flight; on the context. */
    private void pump() {
        if (inFlight || closed || diverged) {
            return;
        }
        List<byte[]> batch = new ArrayList<>();
        synchronized (this) {
            for (Pending r : unacked) {
                if (batch.size() == maxBatch) {
                    break;
                }
                batch.add(r.bytes());
            }
        }
        if (batch.isEmpty()) {
            return;
        }
        inFlight = true;
        vertx.eventBus().<Buffer>request(address, Buffer.buffer(ReplicationDescriptor.encodeBatch(batch)),
                new DeliveryOptions().setSendTimeout(timeoutMillis)).onComplete(ar -> {
            inFlight = false;
            if (ar.succeeded()) {
                ReplicationDescriptor.Ack ack;
                try {
                    ack = ReplicationDescriptor.decodeAck(ar.result().body().getBytes());
                } catch (RuntimeException e) {
                    retryLater();   // a damaged ack says nothing; the batch goes again
                    return;
                }
                acknowledge(ack);
                pump();
            } else {
                retryLater();
            }
        });
    }

    private void retryLater() {
        synchronized (this) {
            resends++;
        }
        if (!closed) {
            vertx.setTimer(Math.max(1, timeoutMillis / 10), id -> pump());
        }
    }

    private void acknowledge(ReplicationDescriptor.Ack ack) {
        synchronized (this) {
            while (!unacked.isEmpty() && unacked.peekFirst().seq() <= ack.applied()) {
                unacked.removeFirst();
            }
            if (ack.applied() > acked) {
                acked = ack.applied();
            }
            if (ack.status() == ReplicationDescriptor.Status.DIVERGED) {
                diverged = true;
            }
            notifyAll();
        }
    }

    /** The last sequence number the partner has applied (with all before it). */
    public long acked() {
        return acked;
    }

    /** The last sequence number committed and queued for the partner. */
    public long published() {
        return published;
    }

    /** Records committed but not yet acknowledged: the partner's lag. */
    public synchronized int backlog() {
        return unacked.size();
    }

    /** Batches sent again after a timeout, a lost reply or a damaged ack. */
    public synchronized long resends() {
        return resends;
    }

    /** Whether the partner reported that a record did not apply to its copy. */
    public boolean diverged() {
        return diverged;
    }

    /**
     * Waits until the partner has applied every record committed so far, or it diverged, or the time is up.
     *
     * @return whether the partner caught up
     */
    public synchronized boolean awaitCaughtUp(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (acked < published && !diverged) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return acked >= published && !diverged;
    }

    @Override
    public void close() {
        closed = true;
    }
}
