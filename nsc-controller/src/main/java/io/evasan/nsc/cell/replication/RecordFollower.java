package io.evasan.nsc.cell.replication;

import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.cell.CellState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.List;
import java.util.Objects;

/**
 * The partner's side of record replication: receives batches on its address, applies each record to its
 * {@link CellState} in sequence order, and acknowledges the last one applied. Records it already applied (a batch
 * sent again) are skipped; a record after a gap is not applied (the owner sends again from the gap).
 *
 * <p>Invariants: the copy only ever holds a prefix of the owner's history; once a record does not apply
 * (the copies diverged) the follower applies nothing more and every acknowledgement says DIVERGED; a damaged batch
 * is refused (no acknowledgement) and changes nothing.
 */
public final class RecordFollower implements AutoCloseable {
    private final CellState state;
    private final MessageConsumer<Buffer> consumer;
    private volatile String divergence;
    private long refused;

    /** Follows on {@code address}, over {@code installed} (a capture of the owner's state). */
    public RecordFollower(Vertx vertx, String address, CellState installed) {
        this.state = Objects.requireNonNull(installed, "installed").copy();
        this.consumer = vertx.eventBus().consumer(address, m -> {
            List<CellRecord.Committed> batch;
            try {
                batch = ReplicationDescriptor.decodeBatch(m.body().getBytes());
            } catch (RuntimeException e) {
                synchronized (this) {
                    refused++;
                }
                m.fail(1, "damaged batch: " + e.getMessage());
                return;
            }
            m.reply(Buffer.buffer(ReplicationDescriptor.encodeAck(apply(batch))));
        });
    }

    private synchronized ReplicationDescriptor.Ack apply(List<CellRecord.Committed> batch) {
        if (divergence == null) {
            for (CellRecord.Committed c : batch) {
                if (c.seq() <= state.lastSeq()) {
                    continue;   // sent again: already applied
                }
                if (c.seq() != state.lastSeq() + 1) {
                    break;      // a gap: the owner sends again from it
                }
                try {
                    state.apply(c);
                } catch (IllegalStateException e) {
                    divergence = e.getMessage();
                    break;
                }
            }
        }
        return new ReplicationDescriptor.Ack(divergence == null ? ReplicationDescriptor.Status.OK
                : ReplicationDescriptor.Status.DIVERGED, state.lastSeq());
    }

    /** A copy of the partner's state now. */
    public synchronized CellState state() {
        return state.copy();
    }

    /** Why the copy diverged, or null. */
    public String divergence() {
        return divergence;
    }

    /** Damaged batches refused. */
    public synchronized long refused() {
        return refused;
    }

    @Override
    public void close() {
        consumer.unregister();
    }
}
