package io.evasan.nsc.api;

import java.util.Objects;

/**
 * Who serves a unit (LUN or presented snapshot): {@code owner} alone holds its writes in cache, destages them and
 * writes its maps; {@code preferred} (null: no preference) and {@code mode} say where it goes on a failure and on
 * the preferred controller's return. A preferred controller is required unless the mode is
 * {@link FailoverMode#NO_PREFERENCE}.
 */
public record LunOwnership(int unitId, NscId owner, NscId preferred, FailoverMode mode) {
    public LunOwnership {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(mode, "mode");
        if (unitId < 0) {
            throw new IllegalArgumentException("unit id " + unitId);
        }
        if (preferred == null && mode != FailoverMode.NO_PREFERENCE) {
            throw new IllegalArgumentException("mode " + mode + " needs a preferred controller");
        }
    }

    /** The same unit now owned by {@code to}. */
    public LunOwnership ownedBy(NscId to) {
        return new LunOwnership(unitId, to, preferred, mode);
    }
}
