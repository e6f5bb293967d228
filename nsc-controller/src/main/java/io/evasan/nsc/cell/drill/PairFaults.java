package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.cell.pair.ControllerPair;

import java.util.List;
import java.util.Objects;

/**
 * The embedded cell's {@link ControllerFaults}: both controllers run in this JVM, so a drill acts on the
 * {@link ControllerPair} itself (its kill, hang, partition and restart) and always waits for the takeover. Invariant:
 * a drill runs only while both controllers are online; otherwise it is refused before anything changes.
 */
public final class PairFaults implements ControllerFaults {
    private final ControllerPair pair;

    public PairFaults(ControllerPair pair) {
        this.pair = Objects.requireNonNull(pair, "pair");
    }

    @Override
    public void checkReady(String kind, NscId target, boolean verify) {
        for (NscId id : NscId.values()) {
            if (pair.state(id) != NscState.ONLINE) {
                throw new StorageException(ErrorCode.INVALID_STATE, "a drill needs both controllers online: nsc-"
                        + id.name().toLowerCase() + " is " + pair.state(id));
            }
        }
    }

    @Override
    public DrillReport kill(NscId target) {
        return pair.kill(target);
    }

    @Override
    public DrillReport hang(NscId target) {
        return pair.hang(target);
    }

    @Override
    public DrillReport partition() {
        return pair.partition();
    }

    @Override
    public List<Integer> restart(NscId target) {
        return pair.restart(target);
    }

    @Override
    public void act(long id) {
        // every drill of the pair has acted before it returned: none is left to act on
    }

    @Override
    public void verified(long id, long acknowledged, long verified, long lost, String note) {
        pair.verified(id, acknowledged, verified, lost, note);
    }

    @Override
    public List<DrillReport> drills() {
        return pair.drills();
    }

    @Override
    public void continueDrillIds(long lastId) {
        pair.continueDrillIds(lastId);
    }

    @Override
    public long nextDrillId() {
        return pair.nextDrillId();
    }
}
