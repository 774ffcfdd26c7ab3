/**
 * The stream format of transfer.ts (written there, read back in revive.ts): the classes that may
 * cross, the tag before each value, and what `toTransferable` returns.
 */
import { HyParView } from "../../src/protocol/hyparview.js";
import { SeededRng } from "../../src/protocol/rng.js";
import { SentShuffle, ShuffleMessage, ShuffleReplyMessage } from "../../src/protocol/shuffle-messages.js";
import { CoreState } from "../../src/protocol/state.js";
import { ActiveView, PassiveView } from "../../src/protocol/views.js";
import { Engine } from "../../src/sim/engine.js";
import { EventQueue, Ring } from "../../src/sim/events.js";
import { LinkTable } from "../../src/sim/links.js";
import { PairClock } from "../../src/sim/pairs.js";
import { ReadAhead } from "../../src/sim/read-ahead.js";
import { Simulation } from "../../src/sim/simulation.js";
import { ActiveViews } from "./views.js";

/** The classes whose objects may cross; an object of any other is an error, not a silent plain
 * object. */
export const CLASSES: readonly (abstract new (...args: never[]) => unknown)[] = [
  Simulation,
  Engine,
  EventQueue,
  LinkTable,
  PairClock,
  HyParView,
  CoreState,
  ActiveView,
  PassiveView,
  SeededRng,
  ActiveViews,
  ReadAhead,
  SentShuffle,
  ShuffleMessage,
  ShuffleReplyMessage,
  Ring,
];
/** In place of a class index: a plain object, an object with no prototype. */
export const PLAIN = -1;
export const NULL_PROTO = -2;

// What the next value in the stream is.
export const T_NUMBER = 0;
export const T_UNDEFINED = 1;
export const T_NULL = 2;
export const T_TRUE = 3;
export const T_FALSE = 4;
/** Then its index in `Transferable.strings`. */
export const T_STRING = 5;
/** A function; then the index in `strings` of the name of the property that held it. */
export const T_FUNCTION = 6;
/** An object met before; then its number. */
export const T_SEEN = 7;
/** A simulator record (never numbered); then the node index and the incarnation. */
export const T_RECORD = 8;
/** Then its index in `Transferable.typed` (structured clone copies those). */
export const T_TYPED = 9;
/** Then the length and the elements. */
export const T_ARRAY = 10;
/** An array of numbers only; then the length and the numbers. Read back into the array held at
 * its place, or as a new array of unboxed doubles, as the views keep theirs (views.ts):
 * structured clone would box them. */
export const T_NUMBERS = 11;
/** Then the size and the keys and values. */
export const T_MAP = 12;
/** Then the size and the values. */
export const T_SET = 13;
/** Then the class (index in CLASSES, or PLAIN / NULL_PROTO), the shape (index in
 * `Transferable.shapes`), 1 if frozen, and the values in the shape's order. */
export const T_OBJECT = 14;

/** What `toTransferable` returns: plain data for postMessage. */
export interface Transferable {
  /** The numbers are its first `length`; the rest is room that was never written. */
  readonly stream: Float64Array;
  readonly length: number;
  readonly strings: string[];
  readonly typed: ArrayBufferView[];
  readonly shapes: string[][];
}
