/**
 * The cell API: the one door through which the management appliance (mgmt-ui), the launcher and the
 * transports reach a cell (DESIGN §7, issue 12). Types and interfaces only — plain value records and
 * interfaces, no logic; the implementation is {@code io.evasan.nsc.cell.impl.StorageCell}, which delegates to
 * the controller, the pool, the sharing trees and the MLD record store.
 *
 * <p>Shape: {@link io.evasan.nsc.api.Cell} hands out one sub-interface per area ({@link io.evasan.nsc.api.Drives},
 * {@link io.evasan.nsc.api.Jobs}, {@link io.evasan.nsc.api.Backup}, {@link io.evasan.nsc.api.Records},
 * {@link io.evasan.nsc.api.Controllers}). Reads return immutable views taken at the call; every call that
 * changes state is a command named by its verb ({@code addDrive}, {@code failDrive}, {@code pauseBgcopy}, ...)
 * so that each can later become one record (issue 12, item 2).
 *
 * <p>Rule (enforced by mgmt-ui's {@code ArchitectureTest}): mgmt-ui never imports {@code io.evasan.raid},
 * {@code io.evasan.mld}, {@code io.evasan.sharing}, {@code io.evasan.mapping} or another module's {@code impl}
 * package; what it needs from below is here.
 */
package io.evasan.nsc.api;
