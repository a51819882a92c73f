import { Model } from '#kiln/model/model'

export interface OrderAttributes {
  id: number
  /** Where the confirmation goes. */
  email: string
  product: string
  quantity: number
  amount: number | null
  status: 'pending' | 'paid'
  paid_at: Date | null
  invoice_path: string | null
  created_at: Date | null
  updated_at: Date | null
}

/** A row of `orders`, stored by `POST /orders` and worked on by ProcessPayment and GenerateInvoice. */
export class Order extends Model<OrderAttributes> {
  static override table = 'orders'
  static override casts = { amount: 'number', quantity: 'number', paid_at: 'date', created_at: 'date', updated_at: 'date' } as const
}
