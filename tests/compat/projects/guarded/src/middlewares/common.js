// CommonJS helpers shared by the TS and JS steps.

/** A middleware that records its label in req.order, then goes on. */
const mark = (label) => async (req, ctx, next) => {
  req.order = [...(req.order || []), label]
  return next()
}

/** Throws when the request carries `x-explode`, like a buggy middleware would. */
const explodeOnDemand = async (req, ctx, next) => {
  if (req.headers['x-explode']) {
    throw new Error('middleware exploded')
  }
  return next()
}

module.exports = { mark, explodeOnDemand }
