//! Server-side cursors (`DECLARE … CURSOR FOR query`, `FETCH`, `MOVE`,
//! `CLOSE`): each holds the running query's record-batch stream and takes
//! rows from it only as `FETCH` asks, so a cursor over a large result does
//! not hold the result in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::{Error, Result};

/// One open cursor.
pub struct Cursor {
    /// In a mutex only to make sessions `Sync`; reached through `get_mut`, never locked.
    stream: Mutex<SendableRecordBatchStream>,
    pending: Option<RecordBatch>,
    schema: SchemaRef,
    /// `WITH HOLD`: survives the end of the transaction.
    pub hold: bool,
}

impl Cursor {
    /// A cursor over a started query.
    pub fn new(stream: SendableRecordBatchStream, hold: bool) -> Self {
        let schema = stream.schema();
        Cursor {
            stream: Mutex::new(stream),
            pending: None,
            schema,
            hold,
        }
    }

    /// The result columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Takes the next `count` rows (all remaining when `None`).
    pub async fn take(&mut self, count: Option<usize>) -> Result<Vec<RecordBatch>> {
        let mut wanted = count.unwrap_or(usize::MAX);
        let mut out = vec![];
        while wanted > 0 {
            let batch = match self.pending.take() {
                Some(batch) => batch,
                None => match self
                    .stream
                    .get_mut()
                    .map_err(|_| Error::config("cursor poisoned"))?
                    .next()
                    .await
                {
                    Some(batch) => batch?,
                    None => break,
                },
            };
            if batch.num_rows() > wanted {
                out.push(batch.slice(0, wanted));
                self.pending = Some(batch.slice(wanted, batch.num_rows() - wanted));
                wanted = 0;
            } else {
                wanted -= batch.num_rows();
                out.push(batch);
            }
        }
        Ok(out)
    }
}

/// The open cursors of one session, by name.
#[derive(Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
}

impl Cursors {
    /// Opens `name`; an open cursor of that name is an error, as in Postgres.
    pub fn declare(&mut self, name: &str, cursor: Cursor) -> Result<()> {
        if self.open.contains_key(name) {
            return Err(Error::DuplicateCursor(name.to_string()));
        }
        self.open.insert(name.to_string(), cursor);
        Ok(())
    }

    /// The open cursor `name`.
    pub fn get(&mut self, name: &str) -> Result<&mut Cursor> {
        self.open
            .get_mut(name)
            .ok_or_else(|| Error::UnknownCursor(name.to_string()))
    }

    /// The result columns of cursor `name`, if open.
    pub fn schema(&self, name: &str) -> Option<SchemaRef> {
        self.open.get(name).map(Cursor::schema)
    }

    /// Closes `name`.
    pub fn close(&mut self, name: &str) -> Result<()> {
        self.open
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| Error::UnknownCursor(name.to_string()))
    }

    /// Closes every cursor.
    pub fn close_all(&mut self) {
        self.open.clear();
    }

    /// Closes the cursors declared without `WITH HOLD` (the transaction ended).
    pub fn end_transaction(&mut self) {
        self.open.retain(|_, c| c.hold);
    }
}
